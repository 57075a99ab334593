// What every MetaStore back end must do for link deletion, GC and bad copies.
import type { Test } from 'tap';
import { deleteBlob, deleteLink, dropBadCopy, markCopyBad, restoreCopy, writeCommit } from '../../../tracker/meta/operations.js';
import type { StoreError } from '../../../tracker/meta/store.js';
import { commitOf, freshStore, type SuiteOptions } from './fixtures.js';

const write = (seed: string, size: number, nodes: string[]) => commitOf(seed, size, nodes);

const T1 = '2024-02-01T00:00:00.000Z';
const T2 = '2024-02-02T00:00:00.000Z';

export async function gcGroup(t: Test, { factory }: SuiteOptions): Promise<void> {
  const fresh = (t: Test) => freshStore(t, factory);

  await t.test('deleting links decrements refs; the last one marks the blob for GC', async (t) => {
    const s = await fresh(t);
    const a = write('d', 100, ['n1', 'n2']);
    const b = { ...write('d', 100, ['n1', 'n2']) };
    await writeCommit(s, a);
    await writeCommit(s, b);
    t.equal(await deleteLink(s, 'nope-nope-nope-nope', T1), undefined, 'unknown link');
    const one = await deleteLink(s, a.link.id, T1);
    t.equal(one?.link.id, a.link.id);
    t.equal(one?.blob?.refs, 1);
    t.equal(one?.blob?.unreferencedSince, undefined, 'still linked');
    t.equal(await s.links.get(a.link.id), undefined, 'link gone');
    t.same(await s.links.ofBlob(a.blob.id, { limit: 10 }), [b.link.id]);
    t.same(await s.blobs.unreferenced({ limit: 10 }), []);
    t.same(await s.counters(), { blobs: 1, links: 1, bytesStored: 200, logicalBytes: 100, uniqueBytes: 100 });

    const two = await deleteLink(s, b.link.id, T2);
    t.equal(two?.blob?.refs, 0);
    t.equal(two?.blob?.unreferencedSince, T2);
    t.same((await s.blobs.unreferenced({ limit: 10 })).map((x) => [x.id, x.unreferencedSince]), [[a.blob.id, T2]]);
    t.same(await s.counters(), { blobs: 1, links: 0, bytesStored: 200, logicalBytes: 0, uniqueBytes: 0 }, 'bytes stay until GC; an unlinked content saves nothing');
    t.equal(await deleteLink(s, b.link.id, T2), undefined, 'deleting twice finds nothing');
  });

  await t.test('a new link to a blob awaiting GC takes it off the list', async (t) => {
    const s = await fresh(t);
    const a = write('r', 10, ['n1']);
    await writeCommit(s, a);
    await deleteLink(s, a.link.id, T1);
    t.equal((await s.blobs.unreferenced({ limit: 10 })).length, 1);
    const again = write('r', 10, ['n1']);
    const r = await writeCommit(s, again);
    t.equal(r.created, false);
    t.equal(r.blob.refs, 1);
    t.equal(r.blob.unreferencedSince, undefined);
    t.equal((await s.blobs.get(a.blob.id))?.unreferencedSince, undefined);
    t.same(await s.blobs.unreferenced({ limit: 10 }), []);
  });

  await t.test('deleteBlob removes every trace of a blob without links, and refuses one with links', async (t) => {
    const s = await fresh(t);
    const keep = write('k', 30, ['n1']);
    const gone = write('g', 100, ['n1', 'n2']);
    await writeCommit(s, keep);
    await writeCommit(s, gone);
    try {
      await deleteBlob(s, gone.blob.id);
      t.fail('deleted a blob with a link');
    } catch (err) {
      t.equal((err as StoreError).code, 'CONFLICT', 'CONFLICT while linked');
    }
    await markCopyBad(s, { blobId: gone.blob.id, nodeId: 'n2', chunks: [0], source: 'scrub', reported: T1 });
    await deleteLink(s, gone.link.id, T1);
    const d = await deleteBlob(s, gone.blob.id);
    t.same(d?.blob.nodes, ['n1']);
    t.same(d?.badNodes, ['n2']);
    t.equal(await s.blobs.get(gone.blob.id), undefined);
    t.equal(await s.blobs.chunks(gone.blob.id), undefined);
    t.same(await s.blobs.byMd5(gone.blob.md5), []);
    t.same(await s.blobs.unreferenced({ limit: 10 }), []);
    t.same(await s.badCopies.of(gone.blob.id), []);
    t.equal(await deleteBlob(s, gone.blob.id), undefined, 'second delete finds nothing');
    t.same(await s.counters(), { blobs: 1, links: 1, bytesStored: 30, logicalBytes: 30, uniqueBytes: 30 });
  });

  await t.test('a bad copy leaves the holders until it is restored', async (t) => {
    const s = await fresh(t);
    const a = write('b', 100, ['n1', 'n2']);
    await writeCommit(s, a);
    t.equal(await markCopyBad(s, { blobId: 'e'.repeat(64), nodeId: 'n1', chunks: [0], source: 'scrub', reported: T1 }), undefined, 'unknown blob');
    const m = await markCopyBad(s, { blobId: a.blob.id, nodeId: 'n1', chunks: [0, 1], source: 'scrub', reported: T1 });
    t.equal(m?.recorded, true);
    t.same(m?.blob.nodes, ['n2']);
    t.same((await s.blobs.get(a.blob.id))?.nodes, ['n2']);
    t.equal((await s.counters()).bytesStored, 100);
    const stranger = await markCopyBad(s, { blobId: a.blob.id, nodeId: 'n9', chunks: [0], source: 'read', reported: T1 });
    t.equal(stranger?.recorded, false, 'a node that was not a holder is not recorded');
    const again = await markCopyBad(s, { blobId: a.blob.id, nodeId: 'n1', chunks: [1], source: 'read', reported: T2 });
    t.equal(again?.recorded, true, 'a second report updates the record');
    t.same(await s.badCopies.of(a.blob.id), [{ blobId: a.blob.id, nodeId: 'n1', chunks: [1], source: 'read', reported: T2 }]);
    t.equal((await s.badCopies.list({ limit: 10 })).length, 1);

    const r = await restoreCopy(s, a.blob.id, 'n1');
    t.same(r?.nodes, ['n2', 'n1']);
    t.same(await s.badCopies.of(a.blob.id), []);
    t.equal((await s.counters()).bytesStored, 200);
    t.equal(await restoreCopy(s, 'e'.repeat(64), 'n1'), undefined);

    await markCopyBad(s, { blobId: a.blob.id, nodeId: 'n2', chunks: [0], source: 'scrub', reported: T1 });
    await dropBadCopy(s, a.blob.id, 'n2');
    t.same(await s.badCopies.list({ limit: 10 }), []);
    t.same((await s.blobs.get(a.blob.id))?.nodes, ['n1'], 'drop does not restore the holder');
  });

  await t.test('bad copies page in (blob, node) order', async (t) => {
    const s = await fresh(t);
    const ws = [write('p1', 10, ['n1', 'n2']), write('p2', 10, ['n1', 'n2'])];
    for (const w of ws) await writeCommit(s, w);
    for (const w of ws) for (const n of ['n2', 'n1']) await markCopyBad(s, { blobId: w.blob.id, nodeId: n, chunks: [0], source: 'scrub', reported: T1 });
    const first = await s.badCopies.list({ limit: 3 });
    const rest = await s.badCopies.list({ limit: 3, after: `${first[2]!.blobId}:${first[2]!.nodeId}` });
    const keys = [...first, ...rest].map((b) => `${b.blobId}:${b.nodeId}`);
    t.equal(keys.length, 4);
    t.same(keys, [...keys].sort());
  });
}
