// The pieces of signing in, without a server: scrypt hashes, the secrets
// clients hold, the tier an account has at a given time, and the sign-in
// guard with an injected clock.
import t from 'tap';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../../../../tracker/accounts/password.js';
import { LoginGuard } from '../../../../tracker/accounts/login-guard.js';
import { mintSecret, parseSecret, secretMatches } from '../../../../tracker/accounts/secrets.js';
import { tierOf } from '../../../../tracker/accounts/tier.js';

t.test('passwords: scrypt with a salt per hash; only the right password matches', async (t) => {
  const a = await hashPassword('correct horse');
  const b = await hashPassword('correct horse');
  t.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  t.not(a, b, 'salted');
  t.equal(await verifyPassword('correct horse', a), true);
  t.equal(await verifyPassword('correct horsE', a), false);
  t.equal(await verifyPassword('anything', DUMMY_HASH), false, 'the dummy matches nothing');
  for (const bad of ['', 'scrypt$1$1$1$x$y', 'bcrypt$...', 'scrypt$99999999$8$1$AAAA$AAAA']) t.equal(await verifyPassword('x', bad), false, `malformed ${bad}`);
});

t.test('secrets: <prefix><id>.<secret>, only the hash is kept', async (t) => {
  const s = mintSecret('hoard_');
  t.match(s.value, /^hoard_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
  const p = parseSecret(s.value, 'hoard_')!;
  t.equal(p.id, s.id);
  t.equal(secretMatches(p.secret, s.secretHash), true);
  t.equal(secretMatches(p.secret.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), s.secretHash), false);
  t.notOk(s.secretHash.includes(p.secret));
  const cases: Array<[string, string]> = [
    [s.value, ''],
    [s.value.slice(6), 'hoard_'],
    ['hoard_short.secret', 'hoard_'],
    [`${s.value}x`, 'hoard_'],
  ];
  for (const [v, prefix] of cases) t.equal(parseSecret(v, prefix), undefined, `refused: ${v.slice(0, 20)}… with ${JSON.stringify(prefix)}`);
});

t.test('tier: admin, premium until its date, then free', async (t) => {
  const now = Date.parse('2026-06-01T00:00:00.000Z');
  const table: Array<[Parameters<typeof tierOf>[0], string]> = [
    [{ tier: 'free' }, 'free'],
    [{ tier: 'free', premiumUntil: '2026-06-02T00:00:00.000Z' }, 'premium'],
    [{ tier: 'free', premiumUntil: '2026-06-01T00:00:00.000Z' }, 'free'],
    [{ tier: 'free', premiumUntil: '2026-05-01T00:00:00.000Z' }, 'free'],
    [{ tier: 'admin' }, 'admin'],
    [{ tier: 'admin', premiumUntil: '2026-07-01T00:00:00.000Z' }, 'admin'],
  ];
  for (const [u, want] of table) t.equal(tierOf(u, now), want, JSON.stringify(u));
});

t.test('sign-in guard: per address and per name over a sliding window', async (t) => {
  let now = 0;
  const g = new LoginGuard({ perAddress: 5, perAccount: 3, windowMs: 60_000, maxKeys: 100 }, () => now);
  for (let i = 0; i < 3; i++) {
    t.equal(g.waitMs('1.1.1.1', 'alice'), 0);
    g.failed('1.1.1.1', 'alice');
    now += 1000;
  }
  t.equal(g.waitMs('2.2.2.2', 'alice'), 57_000, 'the name is blocked from any address until its oldest failure ages out');
  t.equal(g.waitMs('1.1.1.1', 'bob'), 0, 'the address is not, yet');
  g.failed('1.1.1.1', 'bob');
  g.failed('1.1.1.1', 'carol');
  t.ok(g.waitMs('1.1.1.1', 'dave') > 0, 'five failures block the address for every name');
  now = 61_000;
  t.equal(g.waitMs('2.2.2.2', 'alice'), 0, 'the window slid past alice\'s first failure');
  g.succeeded('alice');
  t.equal(g.waitMs('3.3.3.3', 'alice'), 0);
  const off = new LoginGuard({ perAddress: 0, perAccount: 0, windowMs: 1000, maxKeys: 10 }, () => now);
  for (let i = 0; i < 50; i++) off.failed('1.1.1.1', 'x');
  t.equal(off.waitMs('1.1.1.1', 'x'), 0, '0 is no limit');
  const small = new LoginGuard({ perAddress: 1, perAccount: 1, windowMs: 60_000, maxKeys: 4 }, () => now);
  for (let i = 0; i < 10; i++) small.failed(`10.0.0.${i}`, `n${i}`);
  t.equal(small.waitMs('10.0.0.0', 'n0'), 0, 'old keys are forgotten past maxKeys');
  t.ok(small.waitMs('10.0.0.9', 'n9') > 0);
});
