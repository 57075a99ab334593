// The rate floor: bytes over a sliding window, judged only once a whole
// window has passed.
import t from 'tap';
import { RateGuard } from '../../../../node/upload/rate-guard.js';

t.test('no verdict before a whole window; then the average over the last window', async (t) => {
  const g = new RateGuard(100, 1_000, 0);
  t.equal(g.tooSlow(0, 500), false, 'half a window: too early to say');
  t.equal(g.tooSlow(50, 1_000), true, '50 bytes in one second, floor 100/s');
  const h = new RateGuard(100, 1_000, 0);
  t.equal(h.tooSlow(100, 1_000), false, 'exactly at the floor');
});

t.test('the window slides: the base is the newest sample at least a window old', async (t) => {
  const g = new RateGuard(100, 1_000, 0);
  t.equal(g.tooSlow(10, 900), false, 'not a whole window yet');
  t.equal(g.tooSlow(1_000, 1_800), false, 'since the start: 1000 bytes in 1.8 s');
  t.equal(g.tooSlow(1_010, 2_900), true, 'since 1.8 s: 10 bytes in 1.1 s, a stall after a fast start is caught');
  t.equal(g.tooSlow(2_200, 3_900), false, 'since 2.9 s: the body picked up again');
});

t.test('a floor of 0 turns it off', async (t) => {
  const g = new RateGuard(0, 1_000, 0);
  t.equal(g.tooSlow(0, 1e9), false);
});
