// The local cluster's restart back-off: doubling to a ceiling, reset by a run
// that lasted.
import t from 'tap';
import { RestartBackoff } from '../../../scripts/cluster/restarts.js';

t.test('waits double on each quick death up to the ceiling; a long run resets them', async (t) => {
  const b = new RestartBackoff({ initialMs: 1_000, maxMs: 8_000, stableMs: 60_000 });
  t.same([0, 10, 500, 0, 0, 0].map((ran) => b.next(ran)), [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  t.equal(b.next(60_000), 1_000, 'a run of a minute starts over');
  t.equal(b.next(0), 2_000);
});
