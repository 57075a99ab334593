// Per-client limits on resumable upload creations: a burst, then a rate,
// and a cap on uploads created and not finished, each refusal with the
// seconds to wait; memory bounded by the clients remembered.
import t from 'tap';
import { clientGroup, CreationLimits, CreationRefused } from '../../../../tracker/index/creation-limits.js';

function limits(cfg: Partial<ConstructorParameters<typeof CreationLimits>[0]> = {}) {
  let now = 1_000_000;
  const l = new CreationLimits({ perMinute: 60, burst: 3, maxOpen: 0, maxClients: 100, ...cfg }, () => now);
  return { l, advance: (ms: number) => void (now += ms), now: () => now };
}

const refusal = (f: () => void): CreationRefused | undefined => {
  try {
    f();
    return undefined;
  } catch (err) {
    return err instanceof CreationRefused ? err : undefined;
  }
};

t.test('a burst, then one creation a second at 60 per minute', async (t) => {
  const { l, advance } = limits();
  for (let i = 0; i < 3; i++) l.admit('a', 'x1');
  const r = refusal(() => l.admit('a', 'x2'));
  t.match(r, { code: 'TOO_MANY_UPLOADS', status: 429, retryAfterS: 1 });
  t.doesNotThrow(() => l.admit('b', 'x3'), 'another client has its own allowance');
  advance(1_000);
  t.doesNotThrow(() => l.admit('a', 'x4'), 'a token a second');
  t.ok(refusal(() => l.admit('a', 'x5')));
});

t.test('open uploads are capped until they finish or expire', async (t) => {
  const { l, advance, now } = limits({ perMinute: 0, maxOpen: 2 });
  l.admit('a', 'u1');
  l.opened('a', 'u1', now() + 60_000);
  l.admit('a', 'u2');
  l.opened('a', 'u2', now() + 120_000);
  t.match(refusal(() => l.admit('a', 'x8')), { retryAfterS: 60 }, 'the soonest expiry says when');
  l.finished('u1');
  t.equal(l.openOf('a'), 1);
  l.admit('a', 'u3');
  l.opened('a', 'u3', now() + 60_000);
  t.ok(refusal(() => l.admit('a', 'x10')));
  advance(60_000);
  t.equal(l.openOf('a'), 1, 'expired ones are no longer counted');
  t.doesNotThrow(() => l.admit('a', 'x11'));
});

t.test('the clients remembered are bounded', async (t) => {
  const { l, now } = limits({ maxClients: 10, maxOpen: 5 });
  for (let i = 0; i < 1000; i++) {
    l.admit(`c${i}`, `u${i}`);
    l.opened(`c${i}`, `u${i}`, now() + 60_000);
  }
  t.equal(l.openOf('c999'), 1);
  t.equal(l.openOf('c0'), 0, 'the oldest clients are forgotten');
  l.finished('u0');
  t.equal(l.openOf('c995'), 1);
});

t.test('an IPv6 client is its /64: addresses in one /64 share the limits', async (t) => {
  t.equal(clientGroup('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(clientGroup('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  t.equal(clientGroup('2001:db8::1'), '2001:db8:0:0::/64');
  t.equal(clientGroup('::1'), '0:0:0:0::/64');
  t.equal(clientGroup('::ffff:192.0.2.7'), '192.0.2.7', 'an IPv4-mapped address is its IPv4');
  t.equal(clientGroup('192.0.2.7'), '192.0.2.7');
  const { l } = limits({ perMinute: 0, burst: 1, maxOpen: 2 });
  l.admit('2001:db8:1:2::a', 'u1');
  l.admit('2001:db8:1:2:ffff::b', 'u2');
  t.ok(refusal(() => l.admit('2001:db8:1:2:1:2:3:4', 'u3')), 'a third address of the same /64 is at the cap');
  t.equal(l.openOf('2001:db8:1:2::99'), 2);
  t.notOk(refusal(() => l.admit('2001:db8:1:3::a', 'u4')), 'the next /64 is another client');
});
