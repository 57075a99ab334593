// The conformance group every MetaStore back end passes first: nodes, the
// commit write, readers and paging, holder changes, refusals, reopening.
import type { Test } from 'tap';
import { changeHolders, writeCommit } from '../../../tracker/meta/operations.js';
import { commitOf, freshStore, linkId, nodeRecord, rejectsWith, type SuiteOptions } from './fixtures.js';

export async function coreGroup(t: Test, { factory, supports }: SuiteOptions): Promise<void> {
  const fresh = (t: Test) => freshStore(t, factory);

  await t.test('nodes: put, get, overwrite, list', async (t) => {
    const s = await fresh(t);
    t.equal(await s.nodes.get('n1'), undefined);
    await s.nodes.put(nodeRecord('n2', 'b'));
    await s.nodes.put(nodeRecord('n1', 'a'));
    t.same(await s.nodes.get('n1'), nodeRecord('n1', 'a'));
    await s.nodes.put({ ...nodeRecord('n1', 'a'), freeBytes: 7 });
    t.equal((await s.nodes.get('n1'))?.freeBytes, 7);
    t.same((await s.nodes.list()).map((n) => n.id), ['n1', 'n2']);
  });

  await t.test('commit creates a blob, its MD5 entry, chunks and a link', async (t) => {
    const s = await fresh(t);
    const w = commitOf('a', 150_000, ['n1']);
    const r = await writeCommit(s, w);
    t.equal(r.created, true);
    t.same(r.blob, { ...w.blob, refs: 1 });
    t.same(await s.blobs.get(w.blob.id), { ...w.blob, refs: 1 });
    t.same(await s.blobs.chunks(w.blob.id), w.chunks);
    t.same((await s.blobs.byMd5(w.blob.md5)).map((b) => b.id), [w.blob.id]);
    t.same(await s.links.get(w.link.id), w.link);
    t.same(await s.links.ofBlob(w.blob.id, { limit: 10 }), [w.link.id]);
    t.equal(await s.blobs.get('0'.repeat(64)), undefined);
    t.equal(await s.links.get('nope-nope-nope-nope'), undefined);
    t.same(await s.blobs.byMd5('0'.repeat(32)), []);
  });

  await t.test('commit to an existing blob adds a link and a ref, not a blob', async (t) => {
    const s = await fresh(t);
    const first = commitOf('b', 1000, ['n1']);
    await writeCommit(s, first);
    const second = commitOf('b', 1000, ['n1', 'n2']);
    const r = await writeCommit(s, second);
    t.equal(r.created, false);
    t.equal(r.blob.refs, 2);
    t.same(r.blob.nodes, ['n1', 'n2']);
    t.same((await s.blobs.byMd5(first.blob.md5)).length, 1);
    t.same((await s.links.ofBlob(first.blob.id, { limit: 10 })).sort(), [first.link.id, second.link.id].sort());
    t.same(await s.counters(), { blobs: 1, links: 2, bytesStored: 2000, logicalBytes: 2000, uniqueBytes: 1000 });
  });

  await t.test('one MD5, two SHA-256: two blobs under one index entry', async (t) => {
    const s = await fresh(t);
    const md5 = 'f'.repeat(32);
    const a = commitOf('c1', 10, ['n1'], linkId(), md5);
    const b = commitOf('c2', 10, ['n2'], linkId(), md5);
    t.equal((await writeCommit(s, a)).created, true);
    t.equal((await writeCommit(s, b)).created, true);
    const under = await s.blobs.byMd5(md5);
    t.same(under.map((x) => x.id).sort(), [a.blob.id, b.blob.id].sort());
    t.same((await s.blobs.get(a.blob.id))?.nodes, ['n1']);
    t.same((await s.blobs.get(b.blob.id))?.nodes, ['n2']);
    t.equal((await s.counters()).blobs, 2);
  });

  await t.test('pagination over blobs and links', async (t) => {
    const s = await fresh(t);
    for (let i = 0; i < 25; i++) await writeCommit(s, commitOf(`p${i}`, i + 1, ['n1']));
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await s.links.list(after === undefined ? { limit: 10 } : { limit: 10, after });
      t.ok(page.length <= 10, 'page within limit');
      if (page.length === 0) break;
      seen.push(...page.map((l) => l.id));
      after = page[page.length - 1]!.id;
    }
    t.equal(seen.length, 25);
    t.same(seen, [...seen].sort(), 'links in id order');
    t.equal(new Set(seen).size, 25, 'no duplicates across pages');
    const blobs1 = await s.blobs.list({ limit: 20 });
    const blobs2 = await s.blobs.list({ limit: 20, after: blobs1[19]!.id });
    t.equal(blobs1.length, 20);
    t.equal(blobs2.length, 5);
    const all = [...blobs1, ...blobs2].map((b) => b.id);
    t.same(all, [...all].sort(), 'blobs in id order');
    t.same(await s.blobs.list({ limit: 5, after: 'f'.repeat(64) }), []);
    t.equal((await s.links.ofBlob(blobs1[0]!.id, { limit: 10 })).length, 1);
  });

  await t.test('changeHolders adds and removes against the stored list; commit keeps holders added meanwhile', async (t) => {
    const s = await fresh(t);
    const a = commitOf('h1', 100, ['n1']);
    await writeCommit(s, a);
    // Two changes in flight at once: neither may undo the other.
    const [x, y] = await Promise.all([changeHolders(s, a.blob.id, { add: ['n2'] }), changeHolders(s, a.blob.id, { add: ['n3'] })]);
    t.ok(x.blob.nodes.includes('n2') && y.blob.nodes.includes('n3'));
    t.same((await s.blobs.get(a.blob.id))?.nodes.sort(), ['n1', 'n2', 'n3']);
    t.equal((await s.counters()).bytesStored, 300);
    const { blob: r } = await changeHolders(s, a.blob.id, { add: ['n4', 'n2'], remove: ['n1'] });
    t.same(r.nodes.sort(), ['n2', 'n3', 'n4']);
    t.equal((await s.counters()).bytesStored, 300);
    t.same((await changeHolders(s, a.blob.id, { remove: ['n9'] })).blob.nodes.sort(), ['n2', 'n3', 'n4'], 'removing a non-holder changes nothing');
    // A committer that read the blob before n2..n4 were added names only n1: the others stay.
    await writeCommit(s, commitOf('h1', 100, ['n1']));
    t.same((await s.blobs.get(a.blob.id))?.nodes.sort(), ['n1', 'n2', 'n3', 'n4']);
    t.equal((await s.counters()).bytesStored, 400);
    await rejectsWith(t, changeHolders(s, 'e'.repeat(64), { add: ['n1'] }), 'NOT_FOUND', 'unknown blob');
  });

  await t.test('a node record keeps its draining flag', async (t) => {
    const s = await fresh(t);
    await s.nodes.put({ ...nodeRecord('d1'), draining: true });
    t.equal((await s.nodes.get('d1'))?.draining, true);
  });

  await t.test('a refused commit writes nothing', async (t) => {
    const s = await fresh(t);
    const a = commitOf('x1', 100, ['n1']);
    await writeCommit(s, a);
    const before = await s.counters();

    const reuse = commitOf('x2', 50, ['n2'], a.link.id);
    await rejectsWith(t, writeCommit(s, reuse), 'CONFLICT', 'link id taken');
    t.equal(await s.blobs.get(reuse.blob.id), undefined, 'no blob from the refused commit');
    t.same(await s.blobs.byMd5(reuse.blob.md5), [], 'no MD5 entry from the refused commit');
    t.same(await s.links.get(a.link.id), a.link, 'old link intact');

    const wrongTarget = commitOf('x3', 50, ['n2']);
    wrongTarget.link.blobId = a.blob.id;
    await rejectsWith(t, writeCommit(s, wrongTarget), 'CONFLICT', 'link names another blob');
    t.equal(await s.links.get(wrongTarget.link.id), undefined);

    const liar = commitOf('x1', 100, ['n2'], linkId(), '0'.repeat(32));
    await rejectsWith(t, writeCommit(s, liar), 'CONFLICT', 'existing blob id with another md5');
    t.equal(await s.links.get(liar.link.id), undefined);
    t.same(await s.blobs.byMd5('0'.repeat(32)), []);
    t.same((await s.blobs.get(a.blob.id))?.nodes, ['n1']);
    t.same(await s.counters(), before, 'counters unchanged');
  });

  await t.test('reopen keeps everything', { skip: !supports.persistence && 'no persistence' }, async (t) => {
    const loc = await factory.location();
    let s = await factory.open(loc);
    const w = commitOf('r', 500, ['n1', 'n2']);
    await s.nodes.put(nodeRecord('n1'));
    await writeCommit(s, w);
    const counters = await s.counters();
    await s.close();
    s = await factory.open(loc);
    t.teardown(() => s.close());
    t.same(await s.nodes.get('n1'), nodeRecord('n1'));
    t.same(await s.blobs.get(w.blob.id), { ...w.blob, refs: 1 });
    t.same(await s.blobs.chunks(w.blob.id), w.chunks);
    t.same(await s.links.get(w.link.id), w.link);
    t.same((await s.blobs.byMd5(w.blob.md5)).length, 1);
    t.same(await s.counters(), counters);
  });

  await t.test('a store of another schema version is refused', { skip: !supports.schemaVersion && 'no schema version to overwrite' }, async (t) => {
    const loc = await factory.location();
    const s = await factory.open(loc);
    await s.nodes.put(nodeRecord('n1'));
    await s.close();
    await factory.setSchemaVersion!(loc, 999);
    await rejectsWith(t, factory.open(loc), 'SCHEMA_VERSION', 'unknown version');
  });
}
