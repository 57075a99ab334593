// What every MetaStore back end must do. A back end's test calls
// `suite(t, factory)` with a factory that opens stores at fresh locations.
import { createHash } from 'node:crypto';
import type { Test } from 'tap';
import type { ChunkInfo } from '../../../common/protocol/types.js';
import { StoreError, type BlobRecord, type CommitWrite, type MetaStore, type NodeRecord } from '../../../tracker/meta/store.js';

export interface MetaStoreFactory {
  /** A fresh, empty location (directory, database schema…). */
  location(): Promise<string>;
  /** Builds and opens a store at `location`. */
  open(location: string): Promise<MetaStore>;
  /** Overwrites the stored schema version of a closed store. */
  setSchemaVersion(location: string, version: number): Promise<void>;
}

const hex = (algo: string, s: string) => createHash(algo).update(s).digest('hex');
const CHUNK = 64 * 1024;

/** A blob identity made from a seed; `md5` may be forced to fake a collision. */
export function fakeBlob(seed: string, size: number, nodes: string[], md5 = hex('md5', seed)): { blob: Omit<BlobRecord, 'refs'>; chunks: ChunkInfo[] } {
  const sha256 = hex('sha256', seed);
  const n = Math.ceil(size / CHUNK);
  const chunks = Array.from({ length: n }, (_, i) => ({ size: i < n - 1 ? CHUNK : size - CHUNK * i, sha256: hex('sha256', `${seed}/${i}`) }));
  return { blob: { id: sha256, md5, sha256, size, chunkSize: CHUNK, chunks: n, nodes, created: '2024-01-01T00:00:00.000Z' }, chunks };
}

let linkSeq = 0;
export function linkId(): string {
  return `link${String(++linkSeq).padStart(6, '0')}${'x'.repeat(12)}`;
}

function write(seed: string, size: number, nodes: string[], id = linkId(), md5?: string): CommitWrite {
  const { blob, chunks } = fakeBlob(seed, size, nodes, md5);
  return { link: { id, blobId: blob.id, filename: `${seed}.bin`, created: '2024-01-02T00:00:00.000Z' }, blob, chunks };
}

const node = (id: string, zone = 'z1'): NodeRecord => ({
  id,
  zone,
  publicUrl: `http://127.0.0.1:9/${id}`,
  freeBytes: 100,
  totalBytes: 200,
  registered: '2024-01-01T00:00:00.000Z',
  lastSeen: '2024-01-01T00:00:01.000Z',
});

async function rejectsWith(t: Test, p: Promise<unknown>, code: string, msg: string): Promise<void> {
  try {
    await p;
    t.fail(msg + ': did not throw');
  } catch (err) {
    t.ok(err instanceof StoreError, msg + ': StoreError');
    t.equal((err as StoreError).code, code, msg);
  }
}

export async function suite(t: Test, factory: MetaStoreFactory): Promise<void> {
  const fresh = async (t: Test): Promise<MetaStore> => {
    const s = await factory.open(await factory.location());
    t.teardown(() => s.close());
    return s;
  };

  await t.test('nodes: put, get, overwrite, list', async (t) => {
    const s = await fresh(t);
    t.equal(await s.getNode('n1'), undefined);
    await s.putNode(node('n2', 'b'));
    await s.putNode(node('n1', 'a'));
    t.same(await s.getNode('n1'), node('n1', 'a'));
    await s.putNode({ ...node('n1', 'a'), freeBytes: 7 });
    t.equal((await s.getNode('n1'))?.freeBytes, 7);
    t.same((await s.listNodes()).map((n) => n.id), ['n1', 'n2']);
  });

  await t.test('commit creates a blob, its MD5 entry, chunks and a link', async (t) => {
    const s = await fresh(t);
    const w = write('a', 150_000, ['n1']);
    const r = await s.commit(w);
    t.equal(r.created, true);
    t.same(r.blob, { ...w.blob, refs: 1 });
    t.same(await s.getBlob(w.blob.id), { ...w.blob, refs: 1 });
    t.same(await s.getChunks(w.blob.id), w.chunks);
    t.same((await s.blobsByMd5(w.blob.md5)).map((b) => b.id), [w.blob.id]);
    t.same(await s.getLink(w.link.id), w.link);
    t.same(await s.linksOfBlob(w.blob.id, { limit: 10 }), [w.link.id]);
    t.equal(await s.getBlob('0'.repeat(64)), undefined);
    t.equal(await s.getLink('nope-nope-nope-nope'), undefined);
    t.same(await s.blobsByMd5('0'.repeat(32)), []);
  });

  await t.test('commit to an existing blob adds a link and a ref, not a blob', async (t) => {
    const s = await fresh(t);
    const first = write('b', 1000, ['n1']);
    await s.commit(first);
    const second = write('b', 1000, ['n1', 'n2']);
    const r = await s.commit(second);
    t.equal(r.created, false);
    t.equal(r.blob.refs, 2);
    t.same(r.blob.nodes, ['n1', 'n2']);
    t.same((await s.blobsByMd5(first.blob.md5)).length, 1);
    t.same((await s.linksOfBlob(first.blob.id, { limit: 10 })).sort(), [first.link.id, second.link.id].sort());
    t.same(await s.counters(), { blobs: 1, links: 2, bytesStored: 2000, logicalBytes: 2000, uniqueBytes: 1000 });
  });

  await t.test('one MD5, two SHA-256: two blobs under one index entry', async (t) => {
    const s = await fresh(t);
    const md5 = 'f'.repeat(32);
    const a = write('c1', 10, ['n1'], linkId(), md5);
    const b = write('c2', 10, ['n2'], linkId(), md5);
    t.equal((await s.commit(a)).created, true);
    t.equal((await s.commit(b)).created, true);
    const under = await s.blobsByMd5(md5);
    t.same(under.map((x) => x.id).sort(), [a.blob.id, b.blob.id].sort());
    t.same((await s.getBlob(a.blob.id))?.nodes, ['n1']);
    t.same((await s.getBlob(b.blob.id))?.nodes, ['n2']);
    t.equal((await s.counters()).blobs, 2);
  });

  await t.test('pagination over blobs and links', async (t) => {
    const s = await fresh(t);
    for (let i = 0; i < 25; i++) await s.commit(write(`p${i}`, i + 1, ['n1']));
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await s.listLinks(after === undefined ? { limit: 10 } : { limit: 10, after });
      t.ok(page.length <= 10, 'page within limit');
      if (page.length === 0) break;
      seen.push(...page.map((l) => l.id));
      after = page[page.length - 1]!.id;
    }
    t.equal(seen.length, 25);
    t.same(seen, [...seen].sort(), 'links in id order');
    t.equal(new Set(seen).size, 25, 'no duplicates across pages');
    const blobs1 = await s.listBlobs({ limit: 20 });
    const blobs2 = await s.listBlobs({ limit: 20, after: blobs1[19]!.id });
    t.equal(blobs1.length, 20);
    t.equal(blobs2.length, 5);
    const all = [...blobs1, ...blobs2].map((b) => b.id);
    t.same(all, [...all].sort(), 'blobs in id order');
    t.same(await s.listBlobs({ limit: 5, after: 'f'.repeat(64) }), []);
    t.equal((await s.linksOfBlob(blobs1[0]!.id, { limit: 10 })).length, 1);
  });

  await t.test('counters follow commits and holder changes', async (t) => {
    const s = await fresh(t);
    t.same(await s.counters(), { blobs: 0, links: 0, bytesStored: 0, logicalBytes: 0, uniqueBytes: 0 });
    const a = write('s1', 100, ['n1', 'n2']);
    await s.commit(a);
    await s.commit(write('s1', 100, ['n1', 'n2']));
    await s.commit(write('s1', 100, ['n1', 'n2']));
    await s.commit(write('s2', 30, ['n3']));
    t.same(await s.counters(), { blobs: 2, links: 4, bytesStored: 230, logicalBytes: 330, uniqueBytes: 130 });
    const b = await s.setBlobNodes(a.blob.id, ['n1', 'n2', 'n3']);
    t.same(b.nodes, ['n1', 'n2', 'n3']);
    t.equal(b.refs, 3);
    t.equal((await s.counters()).bytesStored, 330);
    await s.setBlobNodes(a.blob.id, []);
    t.equal((await s.counters()).bytesStored, 30);
    await rejectsWith(t, s.setBlobNodes('e'.repeat(64), ['n1']), 'NOT_FOUND', 'unknown blob');
  });

  await t.test('changeBlobNodes adds and removes against the stored list; commit keeps holders added meanwhile', async (t) => {
    const s = await fresh(t);
    const a = write('h1', 100, ['n1']);
    await s.commit(a);
    // Two changes in flight at once: neither may undo the other.
    const [x, y] = await Promise.all([s.changeBlobNodes(a.blob.id, { add: ['n2'] }), s.changeBlobNodes(a.blob.id, { add: ['n3'] })]);
    t.ok(x.nodes.includes('n2') && y.nodes.includes('n3'));
    t.same((await s.getBlob(a.blob.id))?.nodes.sort(), ['n1', 'n2', 'n3']);
    t.equal((await s.counters()).bytesStored, 300);
    const r = await s.changeBlobNodes(a.blob.id, { add: ['n4', 'n2'], remove: ['n1'] });
    t.same(r.nodes.sort(), ['n2', 'n3', 'n4']);
    t.equal((await s.counters()).bytesStored, 300);
    t.same((await s.changeBlobNodes(a.blob.id, { remove: ['n9'] })).nodes.sort(), ['n2', 'n3', 'n4'], 'removing a non-holder changes nothing');
    // A committer that read the blob before n2..n4 were added names only n1: the others stay.
    await s.commit(write('h1', 100, ['n1']));
    t.same((await s.getBlob(a.blob.id))?.nodes.sort(), ['n1', 'n2', 'n3', 'n4']);
    t.equal((await s.counters()).bytesStored, 400);
    await rejectsWith(t, s.changeBlobNodes('e'.repeat(64), { add: ['n1'] }), 'NOT_FOUND', 'unknown blob');
  });

  await t.test('a node record keeps its draining flag', async (t) => {
    const s = await fresh(t);
    await s.putNode({ ...node('d1'), draining: true });
    t.equal((await s.getNode('d1'))?.draining, true);
  });

  await t.test('a refused commit writes nothing', async (t) => {
    const s = await fresh(t);
    const a = write('x1', 100, ['n1']);
    await s.commit(a);
    const before = await s.counters();

    const reuse = write('x2', 50, ['n2'], a.link.id);
    await rejectsWith(t, s.commit(reuse), 'CONFLICT', 'link id taken');
    t.equal(await s.getBlob(reuse.blob.id), undefined, 'no blob from the refused commit');
    t.same(await s.blobsByMd5(reuse.blob.md5), [], 'no MD5 entry from the refused commit');
    t.same(await s.getLink(a.link.id), a.link, 'old link intact');

    const wrongTarget = write('x3', 50, ['n2']);
    wrongTarget.link.blobId = a.blob.id;
    await rejectsWith(t, s.commit(wrongTarget), 'CONFLICT', 'link names another blob');
    t.equal(await s.getLink(wrongTarget.link.id), undefined);

    const liar = write('x1', 100, ['n2'], linkId(), '0'.repeat(32));
    await rejectsWith(t, s.commit(liar), 'CONFLICT', 'existing blob id with another md5');
    t.equal(await s.getLink(liar.link.id), undefined);
    t.same(await s.blobsByMd5('0'.repeat(32)), []);
    t.same((await s.getBlob(a.blob.id))?.nodes, ['n1']);
    t.same(await s.counters(), before, 'counters unchanged');
  });

  await t.test('concurrent commits keep counters exact', async (t) => {
    const s = await fresh(t);
    const first = write('k', 10, ['n1']);
    await s.commit(first);
    await Promise.all(Array.from({ length: 30 }, (_, i) => s.commit(write(i % 2 ? 'k' : `k${i}`, 10, ['n1']))));
    const c = await s.counters();
    t.equal(c.links, 31);
    t.equal(c.blobs, 16);
    t.equal(c.logicalBytes, 310);
    t.equal(c.uniqueBytes, 160);
    t.equal((await s.getBlob(first.blob.id))?.refs, 16);
  });

  await t.test('reopen keeps everything', async (t) => {
    const loc = await factory.location();
    let s = await factory.open(loc);
    const w = write('r', 500, ['n1', 'n2']);
    await s.putNode(node('n1'));
    await s.commit(w);
    const counters = await s.counters();
    await s.close();
    s = await factory.open(loc);
    t.teardown(() => s.close());
    t.same(await s.getNode('n1'), node('n1'));
    t.same(await s.getBlob(w.blob.id), { ...w.blob, refs: 1 });
    t.same(await s.getChunks(w.blob.id), w.chunks);
    t.same(await s.getLink(w.link.id), w.link);
    t.same((await s.blobsByMd5(w.blob.md5)).length, 1);
    t.same(await s.counters(), counters);
  });

  await t.test('a store of another schema version is refused', async (t) => {
    const loc = await factory.location();
    const s = await factory.open(loc);
    await s.putNode(node('n1'));
    await s.close();
    await factory.setSchemaVersion(loc, 999);
    await rejectsWith(t, factory.open(loc), 'SCHEMA_VERSION', 'unknown version');
  });
}
