// Content-Disposition carries both filename (ASCII) and filename* (UTF-8),
// whatever the name, as docs/protocol.md promises.
import t from 'tap';
import { attachmentHeader } from '../../../../node/http/filename.js';

t.test('both parameters for plain, spaced, quoted and non-ASCII names', async (t) => {
  t.equal(attachmentHeader('movie.mkv', 'x'), `attachment; filename=movie.mkv; filename*=UTF-8''movie.mkv`);
  t.equal(attachmentHeader("it's (1).txt", 'x'), `attachment; filename="it's (1).txt"; filename*=UTF-8''it%27s%20%281%29.txt`);
  t.equal(attachmentHeader('say "hi".txt', 'x'), `attachment; filename="say \\"hi\\".txt"; filename*=UTF-8''say%20%22hi%22.txt`);
  t.equal(attachmentHeader('résumé.pdf', 'x'), `attachment; filename="r?sum?.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`);
  t.equal(attachmentHeader('', 'abc'), `attachment; filename=abc; filename*=UTF-8''abc`, 'the fallback when no name');
});
