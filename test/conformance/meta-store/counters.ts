// What every MetaStore back end must do for the counters behind cluster
// stats: they follow every write, concurrent ones included, and always equal
// a recount of the records.
import type { Test } from 'tap';
import { changeHolders, deleteBlob, deleteLink, dropBadCopy, markCopyBad, restoreCopy, writeCommit } from '../../../tracker/meta/operations.js';
import { blobKey, linkKey, zeroCounters, type BlobRecord, type MetaStore, type StoreCounters } from '../../../tracker/meta/store.js';
import { each } from '../../../tracker/meta/paging.js';
import { commitOf, freshStore, rejectsWith, type SuiteOptions } from './fixtures.js';

/** The counters as the records say they must be; also checks each blob's refs against its links. */
async function recount(t: Test, s: MetaStore): Promise<StoreCounters> {
  const c = zeroCounters();
  const sizes = new Map<string, BlobRecord>();
  for await (const b of each(s.blobs.list, blobKey, 7)) {
    c.blobs++;
    c.bytesStored += b.size * b.nodes.length;
    if (b.refs > 0) c.uniqueBytes += b.size;
    sizes.set(b.id, b);
    t.equal((await s.links.ofBlob(b.id, { limit: 1000 })).length, b.refs, `refs of ${b.id.slice(0, 8)} count its links`);
  }
  for await (const l of each(s.links.list, linkKey, 7)) {
    c.links++;
    c.logicalBytes += sizes.get(l.blobId)?.size ?? 0;
  }
  return c;
}

const T1 = '2024-02-01T00:00:00.000Z';

export async function countersGroup(t: Test, { factory }: SuiteOptions): Promise<void> {
  const fresh = (t: Test) => freshStore(t, factory);

  await t.test('counters follow commits and holder changes', async (t) => {
    const s = await fresh(t);
    t.same(await s.counters(), { blobs: 0, links: 0, bytesStored: 0, logicalBytes: 0, uniqueBytes: 0 });
    const a = commitOf('s1', 100, ['n1', 'n2']);
    await writeCommit(s, a);
    await writeCommit(s, commitOf('s1', 100, ['n1', 'n2']));
    await writeCommit(s, commitOf('s1', 100, ['n1', 'n2']));
    await writeCommit(s, commitOf('s2', 30, ['n3']));
    t.same(await s.counters(), { blobs: 2, links: 4, bytesStored: 230, logicalBytes: 330, uniqueBytes: 130 });
    const { blob: b } = await changeHolders(s, a.blob.id, { set: ['n1', 'n2', 'n3'] });
    t.same(b.nodes, ['n1', 'n2', 'n3']);
    t.equal(b.refs, 3);
    t.equal((await s.counters()).bytesStored, 330);
    await changeHolders(s, a.blob.id, { set: [] });
    t.equal((await s.counters()).bytesStored, 30);
    await rejectsWith(t, changeHolders(s, 'e'.repeat(64), { set: ['n1'] }), 'NOT_FOUND', 'unknown blob');
  });

  await t.test('concurrent commits keep counters exact', async (t) => {
    const s = await fresh(t);
    const first = commitOf('k', 10, ['n1']);
    await writeCommit(s, first);
    await Promise.all(Array.from({ length: 30 }, (_, i) => writeCommit(s, commitOf(i % 2 ? 'k' : `k${i}`, 10, ['n1']))));
    const c = await s.counters();
    t.equal(c.links, 31);
    t.equal(c.blobs, 16);
    t.equal(c.logicalBytes, 310);
    t.equal(c.uniqueBytes, 160);
    t.equal((await s.blobs.get(first.blob.id))?.refs, 16);
  });

  await t.test('after every kind of write, concurrent ones too, the counters equal a recount of the records', async (t) => {
    const s = await fresh(t);
    const commits = Array.from({ length: 24 }, (_, i) => commitOf(`mix${i % 8}`, 100 + (i % 8), [`n${i % 3}`]));
    await Promise.all(commits.map((w) => writeCommit(s, w)));
    t.same(await s.counters(), await recount(t, s), 'after concurrent commits and duplicates');
    const ids = [...new Set(commits.map((w) => w.blob.id))];
    await Promise.all([
      ...ids.map((id, i) => changeHolders(s, id, { add: [`n${(i + 1) % 3}`, 'n9'] })),
      ...ids.map((id) => changeHolders(s, id, { remove: ['n9'] })),
      ...ids.slice(0, 4).map((id, i) => markCopyBad(s, { blobId: id, nodeId: `n${i % 3}`, chunks: [0], source: 'scrub', reported: T1 })),
      ...commits.slice(0, 20).map((w) => deleteLink(s, w.link.id, T1)),
    ]);
    t.same(await s.counters(), await recount(t, s), 'after holder changes, bad copies and deletions');
    await Promise.all([
      ...ids.slice(0, 2).map((id, i) => restoreCopy(s, id, `n${i % 3}`)),
      ...ids.slice(2, 4).map((id, i) => dropBadCopy(s, id, `n${(i + 2) % 3}`)),
      ...ids.map((id) => changeHolders(s, id, { set: ['n1'] })),
    ]);
    for (const b of await s.blobs.unreferenced({ limit: 100 })) await deleteBlob(s, b.id);
    const end = await s.counters();
    t.same(end, await recount(t, s), 'after repairs and GC');
    t.ok(end.blobs > 0 && end.blobs < ids.length, 'some blobs went, some stayed');
  });
}
