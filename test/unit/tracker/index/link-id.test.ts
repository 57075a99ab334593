// New link ids: 22 base64url characters, never beginning with '-' (a command
// line would read such an id as an option), and not repeating.
import t from 'tap';
import { LINK_ID_RE } from '../../../../common/protocol/ids.js';
import { newLinkId } from '../../../../tracker/index/link-id.js';

t.test('20,000 ids: well formed, none dashed, all distinct', async (t) => {
  // Drawn plainly, about 312 of 20,000 would begin with '-'.
  const ids = Array.from({ length: 20_000 }, () => newLinkId());
  t.equal(ids.filter((id) => !LINK_ID_RE.test(id) || id.length !== 22).length, 0, 'every id is 22 base64url characters');
  t.equal(ids.filter((id) => id.startsWith('-')).length, 0, 'no id begins with a dash');
  t.equal(new Set(ids).size, ids.length, 'no id repeats');
  t.ok(ids.some((id) => id.startsWith('_')), "'_' still leads some ids: only '-' is drawn again");
});
