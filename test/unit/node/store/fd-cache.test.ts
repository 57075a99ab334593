import t from 'tap';
import { FdCache } from '../../../../node/store/fd-cache.js';

/** An FdCache over fake descriptors: records what was opened and closed. */
function fake(max: number, missing = new Set<string>()) {
  let next = 100;
  const opened: string[] = [];
  const closed: number[] = [];
  const gates = new Map<string, () => void>();
  const cache = new FdCache({
    max,
    openFile: async (path) => {
      opened.push(path);
      if (path.startsWith('slow')) await new Promise<void>((r) => gates.set(path, r));
      if (missing.has(path)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return next++;
    },
    closeFile: (fd) => closed.push(fd),
  });
  return { cache, opened, closed, gates };
}

t.test('one descriptor per path, shared by every lease', async (t) => {
  const { cache, opened, closed } = fake(4);
  const [a, b] = await Promise.all([cache.acquire('/d/x/000000'), cache.acquire('/d/x/000000')]);
  t.equal(a.fd, b.fd);
  t.same(opened, ['/d/x/000000'], 'opened once');
  const c = cache.tryAcquire('/d/x/000000');
  t.equal(c?.fd, a.fd, 'tryAcquire finds it without waiting');
  t.equal(cache.tryAcquire('/d/x/000001'), undefined, 'tryAcquire never opens');
  a.release();
  a.release();
  b.release();
  c!.release();
  t.same(closed, [], 'kept open while cached');
  t.equal(cache.openCount, 1);
});

t.test('bounded: the least recently used idle descriptor closes, a leased one never', async (t) => {
  const { cache, closed } = fake(2);
  const a = await cache.acquire('a');
  (await cache.acquire('b')).release();
  (await cache.acquire('c')).release();
  t.same(closed, [101], 'b went: a is leased');
  t.equal(cache.size, 2);
  a.release();
  (await cache.acquire('d')).release();
  t.same(closed, [101, 100], 'a went once released and least recently used');
  t.equal(cache.openCount, 2);
});

t.test('invalidate: no new lease finds the old descriptor, a held one closes on release', async (t) => {
  const { cache, closed, opened } = fake(8);
  const held = await cache.acquire('/blobs/ab/x/000000');
  (await cache.acquire('/blobs/ab/x/000001')).release();
  (await cache.acquire('/blobs/ab/y/000000')).release();
  cache.invalidate('/blobs/ab/x/');
  t.same(closed, [101], 'the idle one closes at once');
  t.equal(cache.tryAcquire('/blobs/ab/x/000000'), undefined, 'gone from the cache');
  t.equal(held.fd, 100, 'the held lease still has its descriptor');
  held.release();
  t.same(closed, [101, 100], 'closed on release');
  t.ok(cache.tryAcquire('/blobs/ab/y/000000'), 'other blobs untouched');
  const again = await cache.acquire('/blobs/ab/x/000000');
  t.equal(again.fd, 103, 'a later acquire opens afresh');
  t.equal(opened.length, 4);
});

t.test('invalidated while opening: the descriptor closes once its waiters let go', async (t) => {
  const { cache, closed, gates } = fake(8);
  const pending = cache.acquire('slow/x/000000');
  await new Promise((r) => setImmediate(r));
  cache.invalidate('slow/x/');
  gates.get('slow/x/000000')!();
  const lease = await pending;
  t.equal(lease.fd, 100, 'the waiter gets its descriptor');
  await new Promise((r) => setImmediate(r));
  t.same(closed, [], 'not closed under the lease');
  lease.release();
  t.same(closed, [100]);
  t.equal(cache.openCount, 0);
});

t.test('a failed open rejects every waiter and is not cached', async (t) => {
  const { cache, opened } = fake(4, new Set(['gone']));
  const results = await Promise.allSettled([cache.acquire('gone'), cache.acquire('gone')]);
  t.same(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  t.equal(cache.size, 0);
  await t.rejects(cache.acquire('gone'), { code: 'ENOENT' });
  t.equal(opened.length, 2, 'tried again, not remembered');
});

t.test('clear closes idle descriptors and leaves leased ones to their release', async (t) => {
  const { cache, closed } = fake(4);
  const a = await cache.acquire('a');
  (await cache.acquire('b')).release();
  cache.clear();
  t.same(closed, [101]);
  a.release();
  t.same(closed, [101, 100]);
  t.equal(cache.openCount, 0);
});
