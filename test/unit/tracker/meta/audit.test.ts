// Audit entry ids sort in the order the entries were made, also within one
// millisecond and when the clock steps back.
import t from 'tap';
import { auditId } from '../../../../tracker/meta/audit.js';

t.test('ids made in one millisecond, or after the clock stepped back, still sort in order', async (t) => {
  const now = Date.parse('2026-12-03T20:15:00.123Z');
  const ids = [auditId(now), auditId(now), auditId(now), auditId(now - 5), auditId(now + 1)];
  t.same([...ids].sort(), ids);
  t.match(ids[0], /^202612032015001230000-[0-9a-f]{12}$/);
  t.equal(new Set(ids).size, ids.length);
});
