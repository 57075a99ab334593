// What every MetaStore back end must do for link deletion, GC and bad copies.
// Called next to suite() from meta-store.ts, with the same factory.
import type { Test } from 'tap';
import { StoreError, type CommitWrite, type MetaStore } from '../../../tracker/meta/store.js';
import { fakeBlob, linkId, type MetaStoreFactory } from './core.js';

function write(seed: string, size: number, nodes: string[]): CommitWrite {
  const { blob, chunks } = fakeBlob(seed, size, nodes);
  return { link: { id: linkId(), blobId: blob.id, filename: `${seed}.bin`, created: '2024-01-02T00:00:00.000Z' }, blob, chunks };
}

const T1 = '2024-02-01T00:00:00.000Z';
const T2 = '2024-02-02T00:00:00.000Z';

export async function gcSuite(t: Test, factory: MetaStoreFactory): Promise<void> {
  const fresh = async (t: Test): Promise<MetaStore> => {
    const s = await factory.open(await factory.location());
    t.teardown(() => s.close());
    return s;
  };

  await t.test('deleting links decrements refs; the last one marks the blob for GC', async (t) => {
    const s = await fresh(t);
    const a = write('d', 100, ['n1', 'n2']);
    const b = { ...write('d', 100, ['n1', 'n2']) };
    await s.commit(a);
    await s.commit(b);
    t.equal(await s.deleteLink('nope-nope-nope-nope', T1), undefined, 'unknown link');
    const one = await s.deleteLink(a.link.id, T1);
    t.equal(one?.link.id, a.link.id);
    t.equal(one?.blob?.refs, 1);
    t.equal(one?.blob?.unreferencedSince, undefined, 'still linked');
    t.equal(await s.getLink(a.link.id), undefined, 'link gone');
    t.same(await s.linksOfBlob(a.blob.id, { limit: 10 }), [b.link.id]);
    t.same(await s.listUnreferenced({ limit: 10 }), []);
    t.same(await s.counters(), { blobs: 1, links: 1, bytesStored: 200, logicalBytes: 100, uniqueBytes: 100 });

    const two = await s.deleteLink(b.link.id, T2);
    t.equal(two?.blob?.refs, 0);
    t.equal(two?.blob?.unreferencedSince, T2);
    t.same((await s.listUnreferenced({ limit: 10 })).map((x) => [x.id, x.unreferencedSince]), [[a.blob.id, T2]]);
    t.same(await s.counters(), { blobs: 1, links: 0, bytesStored: 200, logicalBytes: 0, uniqueBytes: 100 }, 'bytes stay until GC');
    t.equal(await s.deleteLink(b.link.id, T2), undefined, 'deleting twice finds nothing');
  });

  await t.test('a new link to a blob awaiting GC takes it off the list', async (t) => {
    const s = await fresh(t);
    const a = write('r', 10, ['n1']);
    await s.commit(a);
    await s.deleteLink(a.link.id, T1);
    t.equal((await s.listUnreferenced({ limit: 10 })).length, 1);
    const again = write('r', 10, ['n1']);
    const r = await s.commit(again);
    t.equal(r.created, false);
    t.equal(r.blob.refs, 1);
    t.equal(r.blob.unreferencedSince, undefined);
    t.equal((await s.getBlob(a.blob.id))?.unreferencedSince, undefined);
    t.same(await s.listUnreferenced({ limit: 10 }), []);
  });

  await t.test('deleteBlob removes every trace of a blob without links, and refuses one with links', async (t) => {
    const s = await fresh(t);
    const keep = write('k', 30, ['n1']);
    const gone = write('g', 100, ['n1', 'n2']);
    await s.commit(keep);
    await s.commit(gone);
    try {
      await s.deleteBlob(gone.blob.id);
      t.fail('deleted a blob with a link');
    } catch (err) {
      t.equal((err as StoreError).code, 'CONFLICT', 'CONFLICT while linked');
    }
    await s.markCopyBad({ blobId: gone.blob.id, nodeId: 'n2', chunks: [0], source: 'scrub', reported: T1 });
    await s.deleteLink(gone.link.id, T1);
    const d = await s.deleteBlob(gone.blob.id);
    t.same(d?.blob.nodes, ['n1']);
    t.same(d?.badNodes, ['n2']);
    t.equal(await s.getBlob(gone.blob.id), undefined);
    t.equal(await s.getChunks(gone.blob.id), undefined);
    t.same(await s.blobsByMd5(gone.blob.md5), []);
    t.same(await s.listUnreferenced({ limit: 10 }), []);
    t.same(await s.badCopiesOf(gone.blob.id), []);
    t.equal(await s.deleteBlob(gone.blob.id), undefined, 'second delete finds nothing');
    t.same(await s.counters(), { blobs: 1, links: 1, bytesStored: 30, logicalBytes: 30, uniqueBytes: 30 });
  });

  await t.test('a bad copy leaves the holders until it is restored', async (t) => {
    const s = await fresh(t);
    const a = write('b', 100, ['n1', 'n2']);
    await s.commit(a);
    t.equal(await s.markCopyBad({ blobId: 'e'.repeat(64), nodeId: 'n1', chunks: [0], source: 'scrub', reported: T1 }), undefined, 'unknown blob');
    const m = await s.markCopyBad({ blobId: a.blob.id, nodeId: 'n1', chunks: [0, 1], source: 'scrub', reported: T1 });
    t.equal(m?.recorded, true);
    t.same(m?.blob.nodes, ['n2']);
    t.same((await s.getBlob(a.blob.id))?.nodes, ['n2']);
    t.equal((await s.counters()).bytesStored, 100);
    const stranger = await s.markCopyBad({ blobId: a.blob.id, nodeId: 'n9', chunks: [0], source: 'read', reported: T1 });
    t.equal(stranger?.recorded, false, 'a node that was not a holder is not recorded');
    const again = await s.markCopyBad({ blobId: a.blob.id, nodeId: 'n1', chunks: [1], source: 'read', reported: T2 });
    t.equal(again?.recorded, true, 'a second report updates the record');
    t.same(await s.badCopiesOf(a.blob.id), [{ blobId: a.blob.id, nodeId: 'n1', chunks: [1], source: 'read', reported: T2 }]);
    t.equal((await s.listBadCopies({ limit: 10 })).length, 1);

    const r = await s.restoreCopy(a.blob.id, 'n1');
    t.same(r?.nodes, ['n2', 'n1']);
    t.same(await s.badCopiesOf(a.blob.id), []);
    t.equal((await s.counters()).bytesStored, 200);
    t.equal(await s.restoreCopy('e'.repeat(64), 'n1'), undefined);

    await s.markCopyBad({ blobId: a.blob.id, nodeId: 'n2', chunks: [0], source: 'scrub', reported: T1 });
    await s.dropBadCopy(a.blob.id, 'n2');
    t.same(await s.listBadCopies({ limit: 10 }), []);
    t.same((await s.getBlob(a.blob.id))?.nodes, ['n1'], 'drop does not restore the holder');
  });

  await t.test('bad copies page in (blob, node) order', async (t) => {
    const s = await fresh(t);
    const ws = [write('p1', 10, ['n1', 'n2']), write('p2', 10, ['n1', 'n2'])];
    for (const w of ws) await s.commit(w);
    for (const w of ws) for (const n of ['n2', 'n1']) await s.markCopyBad({ blobId: w.blob.id, nodeId: n, chunks: [0], source: 'scrub', reported: T1 });
    const first = await s.listBadCopies({ limit: 3 });
    const rest = await s.listBadCopies({ limit: 3, after: `${first[2]!.blobId}:${first[2]!.nodeId}` });
    const keys = [...first, ...rest].map((b) => `${b.blobId}:${b.nodeId}`);
    t.equal(keys.length, 4);
    t.same(keys, [...keys].sort());
  });
}
