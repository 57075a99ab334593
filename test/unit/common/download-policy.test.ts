// The download policy's pure rules: limits per tier, the happy hour by an
// injected clock, the claims a URL carries.
import t from 'tap';
import { claimsOf, claimsText, effectiveRate, happyHourAt, tierLimits, weightTier, type DownloadPolicy, type HappyHour } from '../../../common/protocol/download-policy.js';
import { happyHourOf, parseDays, parseWeights, parseWindow, policyClock } from '../../../common/policy-config.js';

const policy: DownloadPolicy = {
  rates: { anonymous: 100_000, free: 500_000 },
  oneAtATime: ['anonymous', 'free'],
  happyHour: { startMin: 12 * 60, endMin: 14 * 60, days: [0, 1, 2, 3, 4, 5, 6] },
  happyTiers: ['free'],
};

t.test('limits per tier, outside and inside the happy hour', async (t) => {
  const table: Array<[Parameters<typeof tierLimits>[1], boolean, number, boolean]> = [
    ['anonymous', false, 100_000, true],
    ['free', false, 500_000, true],
    ['premium', false, 0, false],
    ['admin', false, 0, false],
    // The happy hour lifts the tiers it names only.
    ['anonymous', true, 100_000, true],
    ['free', true, 0, false],
    ['premium', true, 0, false],
  ];
  for (const [tier, happy, rate, one] of table) t.same(tierLimits(policy, tier, happy), { rate, oneAtATime: one }, `${tier}${happy ? ' in happy hour' : ''}`);
  t.same(tierLimits({ ...policy, oneAtATime: [] }, 'free', false), { rate: 500_000, oneAtATime: false }, 'one-at-a-time is configuration');
});

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

t.test('happy hour by the clock: on, until when, and the next window', async (t) => {
  const daily: HappyHour = { startMin: 720, endMin: 840, days: [0, 1, 2, 3, 4, 5, 6] };
  const weekdaysOnly: HappyHour = { startMin: 720, endMin: 840, days: [1, 2, 3, 4, 5] };
  const overnight: HappyHour = { startMin: 22 * 60, endMin: 2 * 60, days: [5] }; // Friday night
  const allDay: HappyHour = { startMin: 0, endMin: 1440, days: [0, 1, 2, 3, 4, 5, 6] };
  // 2026-12-03 is a Thursday.
  const table: Array<[string, HappyHour | undefined, string, boolean, string | undefined, string | undefined]> = [
    ['before the window', daily, '2026-12-03T11:59:59Z', false, '2026-12-03T12:00:00.000Z', '2026-12-03T14:00:00.000Z'],
    ['at its start', daily, '2026-12-03T12:00:00Z', true, '2026-12-03T12:00:00.000Z', '2026-12-03T14:00:00.000Z'],
    ['inside', daily, '2026-12-03T13:30:00Z', true, '2026-12-03T12:00:00.000Z', '2026-12-03T14:00:00.000Z'],
    ['at its end (exclusive)', daily, '2026-12-03T14:00:00Z', false, '2026-12-04T12:00:00.000Z', '2026-12-04T14:00:00.000Z'],
    ['Saturday, weekdays only', weekdaysOnly, '2026-12-05T13:00:00Z', false, '2026-12-07T12:00:00.000Z', '2026-12-07T14:00:00.000Z'],
    ['Friday 23:00, overnight', overnight, '2026-12-04T23:00:00Z', true, '2026-12-04T22:00:00.000Z', '2026-12-05T02:00:00.000Z'],
    ['Saturday 01:00, the Friday window still runs', overnight, '2026-12-05T01:00:00Z', true, '2026-12-04T22:00:00.000Z', '2026-12-05T02:00:00.000Z'],
    ['Saturday 03:00, next Friday', overnight, '2026-12-05T03:00:00Z', false, '2026-12-11T22:00:00.000Z', '2026-12-12T02:00:00.000Z'],
    ['every day all day: one long window', allDay, '2026-12-03T05:00:00Z', true, '2026-12-02T00:00:00.000Z', '2026-12-12T00:00:00.000Z'],
    ['off', undefined, '2026-12-03T13:00:00Z', false, undefined, undefined],
    ['no day', { ...daily, days: [] }, '2026-12-03T13:00:00Z', false, undefined, undefined],
  ];
  for (const [what, h, now, on, start, end] of table) {
    const s = happyHourAt(h, at(now));
    t.equal(s.on, on, `${what}: on`);
    t.equal(iso(s.window?.start), start, `${what}: start`);
    t.equal(iso(s.window?.end), end, `${what}: end`);
  }
});

t.test('config text of the happy hour', async (t) => {
  t.same(parseWindow('12:00-14:00', 'k'), { startMin: 720, endMin: 840 });
  t.same(parseWindow('22:30-02:00', 'k'), { startMin: 1350, endMin: 120 });
  t.same(parseWindow('00:00-24:00', 'k'), { startMin: 0, endMin: 1440 });
  t.equal(parseWindow('off', 'k'), undefined);
  for (const bad of ['12-14', '12:00-12:00', '25:00-26:00', '12:60-13:00', '12:00 14:00']) t.throws(() => parseWindow(bad, 'k'), `${bad} refused`);
  t.same(parseDays('*', 'k'), [0, 1, 2, 3, 4, 5, 6]);
  t.same(parseDays('sat,Sun', 'k'), [0, 6]);
  t.throws(() => parseDays('someday', 'k'));
  t.same(happyHourOf('12:00-14:00', 'mon'), { startMin: 720, endMin: 840, days: [1] });
  t.equal(happyHourOf('off', '*'), undefined);
  t.same(parseWeights('premium=8,admin=8,free=2,anonymous=1', 'k'), { premium: 8, admin: 8, free: 2, anonymous: 1 });
  t.throws(() => parseWeights('premium=8,free=2', 'k'), 'every tier needs a weight');
  t.throws(() => parseWeights('premium=0,admin=8,free=2,anonymous=1', 'k'), 'weights are at least 1');
});

t.test('the test clock moves the policy clock only by an offset', async (t) => {
  let real = 1_000_000;
  const clock = policyClock('2026-12-03T12:30:00Z', () => real);
  t.equal(clock(), at('2026-12-03T12:30:00Z'));
  real += 5_000;
  t.equal(clock(), at('2026-12-03T12:30:05Z'), 'it runs on');
  t.equal(policyClock('', () => 42)(), 42, 'no test clock: the system clock');
});

t.test('claims: parsed from a URL, malformed ones refused, the happy window applied by the clock', async (t) => {
  const q = (s: string): URLSearchParams => new URLSearchParams(s);
  t.equal(claimsOf(q('exp=1&sig=x')), undefined, 'a URL without claims (a copy between nodes)');
  const c = claimsOf(q('tier=free&rate=1000&lease=AAAAAAAAAAAAAAAAAAAAAA&hh=100-200'));
  t.same(c, { tier: 'free', rate: 1000, lease: 'AAAAAAAAAAAAAAAAAAAAAA', happy: { start: 100_000, end: 200_000 } });
  for (const bad of ['tier=gold&rate=0', 'tier=free', 'tier=free&rate=-1', 'tier=free&rate=1e3', 'tier=free&rate=0&lease=short', 'tier=free&rate=0&hh=200-100', 'rate=5']) {
    t.equal(claimsOf(q(bad)), null, `${bad} is malformed`);
  }
  t.equal(effectiveRate(c!, 99_999), 1000, 'before the window: capped');
  t.equal(effectiveRate(c!, 100_000), 0, 'inside: unthrottled');
  t.equal(effectiveRate(c!, 200_000), 1000, 'after: capped again');
  t.equal(weightTier(c!, 150_000), 'premium', 'inside: weighs as premium');
  t.equal(weightTier(c!, 250_000), 'free');
  t.not(claimsText(c!), claimsText({ ...c!, tier: 'premium' }), 'the signed text changes with the tier');
});
