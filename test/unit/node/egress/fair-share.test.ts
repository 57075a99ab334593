// Weighted fair shares of an uplink, the pacer of a rate cap, and the uplink
// scheduler handing out bytes by weight.
import t from 'tap';
import { fairShares } from '../../../../node/egress/fair-share.js';
import { Pacer } from '../../../../node/egress/pacer.js';
import { Uplink, UPLINK_TICK_MS, type UplinkClock } from '../../../../node/egress/uplink.js';

const round = (xs: number[]): number[] => xs.map((x) => Math.round(x * 100) / 100);

t.test('fairShares: weights, water-filling, the floor', async (t) => {
  const table: Array<[string, number, Array<[number, number]>, number, number[]]> = [
    ['nobody wants bytes', 100, [[8, 0], [1, 0]], 0, [0, 0]],
    ['one flow takes what it wants', 100, [[1, 30]], 0, [30]],
    ['one flow, capped at the capacity', 100, [[1, 300]], 0, [100]],
    ['by weight when both want more', 100, [[8, 1000], [2, 1000]], 0, [80, 20]],
    ['premium wants less: free gets the rest', 100, [[8, 10], [2, 1000]], 0, [10, 90]],
    ['three tiers', 110, [[8, 1000], [2, 1000], [1, 1000]], 0, [80, 20, 10]],
    ['the floor: 10 % split evenly first', 100, [[8, 1000], [1, 1000]], 0.1, [5 + 90 * 8 / 9, 5 + 90 / 9]],
    ['a huge weight cannot starve the other', 100, [[1000, 1000], [1, 1000]], 0.2, [10 + 80 * 1000 / 1001, 10 + 80 / 1001]],
    ['the floor never exceeds a flow\'s want', 100, [[1, 2], [1, 1000]], 0.5, [2, 98]],
    ['idle flows get nothing', 100, [[8, 0], [2, 1000]], 0.1, [0, 100]],
  ];
  for (const [what, cap, flows, floor, want] of table) {
    t.same(round(fairShares(cap, flows.map(([weight, demand]) => ({ weight, demand })), floor)), round(want), what);
  }
});

t.test('Pacer: bytes leave at the rate from the first byte, a sender behind catches up 0.5 s at most', async (t) => {
  const p = new Pacer();
  t.equal(p.delay(1000, 1000, 10_000), 1000, 'the first 1000 bytes at 1000 B/s: 1 s, no burst at the start');
  t.equal(p.delay(500, 1000, 10_000), 1500, 'the next 500 after them');
  t.equal(p.delay(500, 1000, 15_000), 0, 'after a pause, 0.5 s of credit');
  t.equal(p.delay(1000, 1000, 15_000), 1000, 'and no more');
  t.equal(p.delay(500, 0, 16_000), 0, 'no cap');
});

/** Time that moves only when the test says: the uplink's ticks run by hand, so a loaded machine cannot skew the shares. */
class HandClock implements UplinkClock {
  t = 0;
  private tick: (() => void) | undefined;
  now = (): number => this.t;
  every(fn: () => void): { stop(): void } {
    this.tick = fn;
    return { stop: () => (this.tick = undefined) };
  }
  /** Advances one tick and lets the woken senders ask again. */
  async step(ms: number): Promise<void> {
    this.t += ms;
    this.tick?.();
    for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
  }
}

t.test('Uplink: a saturated budget is shared by weight', async (t) => {
  const rate = 2_000_000;
  const clock = new HandClock();
  const up = new Uplink(rate, 0.1, clock);
  const sent = { heavy: 0, light: 0 };
  let running = true;
  const pump = async (flowWeight: number, key: keyof typeof sent): Promise<void> => {
    const flow = up.flow(() => flowWeight);
    while (running) {
      await flow.take(16 * 1024);
      sent[key] += 16 * 1024;
    }
  };
  const a = pump(8, 'heavy');
  const b = pump(1, 'light');
  await clock.step(0);
  for (let i = 0; i < 100; i++) await clock.step(UPLINK_TICK_MS);
  const secs = clock.t / 1000;
  const total = sent.heavy + sent.light;
  t.ok(total <= rate * secs + 64 * 1024, `the budget holds: ${total} bytes in ${secs.toFixed(2)} s at ${rate} B/s`);
  t.ok(total >= rate * secs * 0.9, `the budget is used: ${total}`);
  // Weighted 8:1 over a 10 % floor: heavy ≈ 0.05 + 0.9 × 8/9 = 85 %.
  const share = sent.heavy / total;
  t.ok(share > 0.8 && share < 0.9, `heavy share ${share.toFixed(2)} ≈ 0.85`);
  running = false;
  // Wake the two senders so that they see the stop.
  for (let i = 0; i < 10 && up.queued > 0; i++) await clock.step(UPLINK_TICK_MS);
  await Promise.all([a, b]);
  t.equal(up.queued, 0);
});
