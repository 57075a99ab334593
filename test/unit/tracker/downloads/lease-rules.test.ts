// Download leases: one live lease per caller, the same file reuses it,
// another file waits; and the in-memory book that keeps them.
import t from 'tap';
import { decideLease, renewLease, RETRY_AFTER_MAX_S, type Lease, type LeaseAsk } from '../../../../tracker/downloads/lease-rules.js';
import { MemoryLeaseBook } from '../../../../tracker/downloads/lease-book.js';

const ask = (over: Partial<LeaseAsk> = {}): LeaseAsk => ({ holder: 'ip:1.2.3.4', blobId: 'a', filename: 'a.bin', nowMs: 1000, ttlMs: 30_000, newId: 'new', ...over });
const lease = (over: Partial<Lease> = {}): Lease => ({ id: 'old', holder: 'ip:1.2.3.4', blobId: 'a', filename: 'a.bin', expires: 20_000, ...over });

t.test('decideLease', async (t) => {
  const table: Array<[string, Lease | undefined, Partial<LeaseAsk>, string, string, number | undefined]> = [
    ['no lease: a new one', undefined, {}, 'grant', 'new', undefined],
    ['an expired lease: a new one', lease({ expires: 1000 }), { blobId: 'b' }, 'grant', 'new', undefined],
    ['the same file: the same lease (ranges, resumes)', lease(), {}, 'reuse', 'old', undefined],
    ['another file while it lives: busy', lease({ expires: 3000 }), { blobId: 'b' }, 'busy', 'old', 2],
    ['busy names at most a few seconds', lease({ expires: 29_000 }), { blobId: 'b' }, 'busy', 'old', RETRY_AFTER_MAX_S],
    ['busy names at least one second', lease({ expires: 1001 }), { blobId: 'b' }, 'busy', 'old', 1],
  ];
  for (const [what, current, a, kind, id, retry] of table) {
    const d = decideLease(current, ask(a));
    t.equal(d.kind, kind, `${what}: ${kind}`);
    t.equal(d.lease.id, id, `${what}: lease ${id}`);
    if (d.kind === 'busy') t.equal(d.retryAfterS, retry, `${what}: retry after ${retry}`);
  }
  const reused = decideLease(lease({ expires: 5000 }), ask());
  t.equal(reused.lease.expires, 31_000, 'a reused lease lives another ttl');
  t.equal(renewLease(lease({ expires: 5000 }), 2000, 30_000).expires, 32_000, 'renewed by a node report');
});

t.test('MemoryLeaseBook: per holder, renewed, released, expired', async (t) => {
  const book = new MemoryLeaseBook();
  const a = await book.acquire(ask({ newId: 'L1' }));
  t.equal(a.kind, 'grant');
  t.equal((await book.acquire(ask({ newId: 'L2' }))).lease.id, 'L1', 'the same file: the same lease');
  t.equal((await book.acquire(ask({ blobId: 'b', newId: 'L3' }))).kind, 'busy', 'another file: busy');
  t.equal((await book.acquire(ask({ holder: 'ip:5.6.7.8', blobId: 'b', newId: 'L4' }))).kind, 'grant', 'another caller is not held back');
  await book.renew(['L1', 'unknown'], 25_000, 30_000);
  t.equal((await book.acquire(ask({ blobId: 'b', nowMs: 40_000, newId: 'L5' }))).kind, 'busy', 'renewed: still live past its first expiry');
  await book.release(['L1']);
  const b = await book.acquire(ask({ blobId: 'b', nowMs: 40_000, newId: 'L6' }));
  t.equal(b.kind, 'grant', 'released: the next file may start');
  t.equal(await book.count(40_000), 1, 'the other caller\'s lease expired unreported');
  t.equal(await book.count(200_000), 0, 'all expired');
  t.equal((await book.acquire(ask({ blobId: 'c', nowMs: 200_000, newId: 'L7' }))).kind, 'grant', 'an expired lease holds nobody back');
  await book.renew(['L6'], 200_000, 30_000);
  t.equal((await book.acquire(ask({ blobId: 'b', nowMs: 200_001, newId: 'L8' }))).kind, 'busy', 'L7 is the live one now');
});
