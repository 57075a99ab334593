// What every MetaStore back end must do with transactions: one key at a time
// (other keys run freely), a transaction reads its own writes, others see
// them only once it is done, and a failed one writes nothing.
import type { Test } from 'tap';
import { commitIn, writeCommit } from '../../../tracker/meta/operations.js';
import type { MetaStore, MetaTx } from '../../../tracker/meta/store.js';
import { commitOf, freshStore, linkId, rejectsWith, type SuiteOptions } from './fixtures.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

/** Rejects after `ms` so a deadlock fails the test instead of hanging it. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export async function transactionsGroup(t: Test, { factory, supports }: SuiteOptions): Promise<void> {
  const fresh = (t: Test) => freshStore(t, factory);

  await t.test('transactions of one key take turns, the later one reading what the earlier wrote', async (t) => {
    const s = await fresh(t);
    const w = commitOf('turns', 100, ['n1']);
    const events: string[] = [];
    const first = s.transact(w.blob.md5, async (tx) => {
      events.push('first starts');
      await tick();
      await commitIn(tx, w);
      await tick();
      events.push('first ends');
    });
    const second = s.transact(w.blob.md5, async (tx) => {
      events.push('second starts');
      return tx.blob(w.blob.id);
    });
    await first;
    const seen = await second;
    t.same(events, ['first starts', 'first ends', 'second starts']);
    t.equal(seen?.refs, 1, 'the second sees the first one\'s blob');
  });

  await t.test('transactions of other keys do not wait for each other', async (t) => {
    const s = await fresh(t);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // The first holds its key until the second, on another key, has run.
    const first = s.transact('key-a', async () => gate);
    const second = s.transact('key-b', async () => open());
    await within(Promise.all([first, second]), 5_000, 'two keys');
    t.pass('both ran');
  });

  await t.test('a transaction reads its own writes; others see them only once it is done', async (t) => {
    const s = await fresh(t);
    const w = commitOf('own', 100, ['n1']);
    w.uploadId = 'U'.repeat(22);
    const bad = { blobId: w.blob.id, nodeId: 'n1', chunks: [0], source: 'scrub', reported: '2024-02-01T00:00:00.000Z' };
    let outside: unknown[] = [];
    await s.transact(w.blob.md5, async (tx: MetaTx) => {
      t.equal(await tx.blob(w.blob.id), undefined, 'nothing before');
      await commitIn(tx, w);
      t.equal((await tx.blob(w.blob.id))?.refs, 1, 'blob');
      t.same((await tx.blobsByMd5(w.blob.md5)).map((b) => b.id), [w.blob.id], 'MD5 index');
      t.same(await tx.link(w.link.id), w.link, 'link');
      t.equal(await tx.linkOfUpload(w.uploadId!), w.link.id, 'upload link');
      await tx.write({ type: 'badCopy', blobId: w.blob.id, nodeId: 'n1', record: bad });
      t.same(await tx.badCopiesOf(w.blob.id), [bad], 'bad copy');
      await tx.write({ type: 'link', id: w.link.id, record: undefined });
      t.equal(await tx.link(w.link.id), undefined, 'a deleted record is gone inside');
      await tx.write({ type: 'link', id: w.link.id, record: w.link });
      outside = await Promise.all([s.blobs.get(w.blob.id), s.links.get(w.link.id), s.blobs.byMd5(w.blob.md5), s.badCopies.of(w.blob.id)]);
    });
    t.same(outside, [undefined, undefined, [], []], 'nothing visible outside before the end');
    t.equal((await s.blobs.get(w.blob.id))?.refs, 1);
    t.same(await s.links.get(w.link.id), w.link);
    t.same(await s.badCopies.of(w.blob.id), [bad]);
    t.same(await s.counters(), { blobs: 1, links: 1, bytesStored: 100, logicalBytes: 100, uniqueBytes: 100 });
  });

  await t.test('a transaction that throws writes nothing, and its key is free again', async (t) => {
    const s = await fresh(t);
    const kept = commitOf('kept', 50, ['n1']);
    await writeCommit(s, kept);
    const before = await s.counters();
    const w = commitOf('thrown', 100, ['n1']);
    await t.rejects(
      s.transact(w.blob.md5, async (tx) => {
        await commitIn(tx, w);
        await tx.write({ type: 'link', id: kept.link.id, record: undefined });
        throw new Error('changed my mind');
      }),
      { message: 'changed my mind' },
    );
    t.equal(await s.blobs.get(w.blob.id), undefined, 'no blob');
    t.equal(await s.links.get(w.link.id), undefined, 'no link');
    t.same(await s.blobs.byMd5(w.blob.md5), [], 'no MD5 entry');
    t.same(await s.links.get(kept.link.id), kept.link, 'the deletion did not land either');
    t.same(await s.counters(), before, 'counters unchanged');
    const again = await within(writeCommit(s, w), 5_000, 'the same key after a failure');
    t.equal(again.created, true);
  });

  await t.test('a record two transactions of different keys both create is written once', async (t) => {
    const s = await fresh(t);
    const id = linkId();
    const a = commitOf('twin-a', 10, ['n1'], id);
    const b = commitOf('twin-b', 10, ['n1'], id);
    const results = await Promise.allSettled([writeCommit(s, a), writeCommit(s, b)]);
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one wins');
    const lost = results.find((r) => r.status === 'rejected');
    if (lost) await rejectsWith(t, Promise.reject(lost.reason), 'CONFLICT', 'the other is refused');
    const c = await s.counters();
    t.equal(c.links, 1);
    t.equal(c.blobs, 1, 'the refused one wrote no blob');
  });

  await t.test('two stores on one location: transactions of one key take turns across them', { skip: !supports.sharedLocation && 'one store per location' }, async (t) => {
    const loc = await factory.location();
    const stores: MetaStore[] = [await factory.open(loc), await factory.open(loc)];
    t.teardown(() => Promise.all(stores.map((s) => s.close())));
    const w = commitOf('shared', 100, ['n1']);
    await writeCommit(stores[0]!, w);
    const events: string[] = [];
    await Promise.all(
      stores.map((s, i) =>
        s.transact(w.blob.md5, async () => {
          events.push(`${i} starts`);
          await tick();
          events.push(`${i} ends`);
        }),
      ),
    );
    t.ok(events[1]!.endsWith('ends') && events[3]!.endsWith('ends'), `no overlap: ${events.join(', ')}`);
    t.equal((await stores[1]!.blobs.get(w.blob.id))?.refs, 1, 'the other store reads the first one\'s write');
  });
}
