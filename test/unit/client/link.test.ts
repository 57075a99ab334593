// A LINK argument of hoard get: a share URL or a bare id, and the file name
// a download may create.
import t from 'tap';
import { CliError } from '../../../common/cli.js';
import { parseLink, safeFileName } from '../../../client/link.js';

const ID = 'kZ02iAoDhrnZJeQokT_fKw';
const DEFAULT = 'http://127.0.0.1:8080';

t.test('a bare id goes to the default tracker', async (t) => {
  t.same(parseLink(ID, DEFAULT), { tracker: DEFAULT, id: ID });
});

t.test('a share URL names its tracker', async (t) => {
  t.same(parseLink(`http://files.example:9000/f/${ID}`, DEFAULT), { tracker: 'http://files.example:9000', id: ID });
  t.same(parseLink(`https://files.example/f/${ID}?x=1#y`, DEFAULT), { tracker: 'https://files.example', id: ID }, 'query and fragment are not part of the id');
});

t.test('a tracker under a path prefix keeps it; the last /f/ separates the id', async (t) => {
  t.same(parseLink(`https://example.org/hoard/f/${ID}`, DEFAULT), { tracker: 'https://example.org/hoard', id: ID });
  t.same(parseLink(`https://example.org/f/x/f/${ID}`, DEFAULT), { tracker: 'https://example.org/f/x', id: ID });
});

t.test('anything else is BAD_LINK', async (t) => {
  for (const bad of ['', 'short', 'not a url/f/x', `ftp://example.org/f/${ID}`, 'http://example.org/f/', `http://example.org/g/${ID}`, 'http://example.org/f/%E0%A4%A', `http://example.org/f/${ID}!`]) {
    t.throws(() => parseLink(bad, DEFAULT), CliError, JSON.stringify(bad));
    try {
      parseLink(bad, DEFAULT);
    } catch (err) {
      t.equal((err as CliError).code, 'BAD_LINK', `${JSON.stringify(bad)}: code`);
    }
  }
});

t.test('safeFileName: only a base name, no control characters, never . or ..', async (t) => {
  t.equal(safeFileName('movie.mkv', 'x'), 'movie.mkv');
  t.equal(safeFileName('../../etc/passwd', 'x'), 'passwd');
  t.equal(safeFileName('C:\\Users\\me\\report.pdf', 'x'), 'report.pdf', 'backslashes separate folders too');
  t.equal(safeFileName('a\u0000b\u001fc\u007f.txt', 'x'), 'abc.txt');
  t.equal(safeFileName('  spaced.txt  ', 'x'), 'spaced.txt');
  for (const empty of ['', '.', '..', '/', '\u0001']) t.equal(safeFileName(empty, 'fallback'), 'fallback', JSON.stringify(empty));
  t.equal(safeFileName('ünïcødé ✓.txt', 'x'), 'ünïcødé ✓.txt');
});
