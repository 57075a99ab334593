// The behaviour every ChunkStore back end must show. A back end's test file
// calls suite(t, factory) with a factory that makes a fresh, empty store.
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Test } from 'tap';
import type { ChunkStore, ChunkWriter, PublishResult } from '../../../node/store/chunk-store.js';

export interface ChunkStoreHarness {
  store: ChunkStore;
  /** A new store over the same backing data, as after a restart (the old one is closed). */
  reopen(): Promise<ChunkStore>;
  cleanup(): Promise<void>;
}

/** Makes a fresh, opened, empty store with the given chunk size. */
export type ChunkStoreFactory = (opts: { chunkSize: number }) => Promise<ChunkStoreHarness>;

const CS = 64 * 1024;

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes `data` in pieces of the given sizes (cycled), honouring the writer's backpressure. */
export async function writeAll(w: ChunkWriter, data: Buffer, pieces: number[] = [1000]): Promise<void> {
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = Math.min(pieces[i % pieces.length]!, data.length - off);
    // Copy: the writer keeps the buffer it is given.
    const wait = w.write(Buffer.from(data.subarray(off, off + n)));
    off += n;
    if (wait) await wait;
  }
}

export async function store(s: ChunkStore, data: Buffer, pieces?: number[]): Promise<PublishResult> {
  const w = await s.begin();
  await writeAll(w, data, pieces);
  return w.publish();
}

export async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of r) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

async function ids(s: ChunkStore): Promise<string[]> {
  const out: string[] = [];
  for await (const id of s.list()) out.push(id);
  return out.sort();
}

export function suite(t: Test, factory: ChunkStoreFactory): void {
  const fresh = async (t: Test, chunkSize = CS) => {
    const h = await factory({ chunkSize });
    t.teardown(() => h.cleanup());
    return h;
  };

  t.test('an empty store', async (t) => {
    const { store: s } = await fresh(t);
    t.same(await ids(s), []);
    t.equal(s.count(), 0);
    const id = sha256(Buffer.from('nothing'));
    t.equal(await s.get(id), undefined);
    t.equal(await s.has(id), false);
    t.equal(await s.get('../../etc/passwd'), undefined, 'a malformed id is just absent');
    await t.rejects(s.read(id), { code: 'BLOB_NOT_FOUND' });
    t.equal(await s.remove(id), false);
    const space = await s.space();
    t.ok(space.totalBytes > 0 && space.freeBytes >= 0 && space.freeBytes <= space.totalBytes, 'space is plausible');
  });

  t.test('round trip across chunk boundaries', async (t) => {
    const { store: s } = await fresh(t);
    const sizes = [0, 1, CS - 1, CS, CS + 1, 2 * CS, 3 * CS + 17];
    const pieceSets = [[1000], [CS], [7, CS * 2 + 3, 13], [CS + 1]];
    for (const size of sizes) {
      const data = randomBytes(size);
      for (const pieces of pieceSets) {
        const { manifest: m, created } = await store(s, data, pieces);
        const label = `size ${size}, pieces ${pieces.join('/')}`;
        if (pieces === pieceSets[0]) t.equal(created, true, `${label}: created`);
        else t.equal(created, false, `${label}: same content again is not created twice`);
        t.equal(m.id, sha256(data), `${label}: id is the sha256`);
        t.equal(m.sha256, sha256(data));
        t.equal(m.md5, md5(data), `${label}: md5`);
        t.equal(m.size, size);
        t.equal(m.chunkSize, CS);
        t.equal(m.chunks.length, Math.ceil(size / CS), `${label}: chunk count`);
        m.chunks.forEach((c, i) => {
          const part = data.subarray(i * CS, (i + 1) * CS);
          t.equal(c.size, part.length, `${label}: chunk ${i} size`);
          t.equal(c.sha256, sha256(part), `${label}: chunk ${i} sha256`);
        });
        t.ok((await collect(await s.read(m.id))).equals(data), `${label}: whole read`);
      }
    }
    t.equal(s.count(), sizes.length);
    t.equal((await ids(s)).length, sizes.length);
  });

  t.test('ranges', async (t) => {
    const { store: s } = await fresh(t);
    const data = randomBytes(3 * CS + 100);
    const { manifest: m } = await store(s, data, [4096]);
    const ranges: Array<[number, number]> = [
      [0, 0],
      [0, CS - 1],
      [CS - 1, CS],
      [CS - 10, 2 * CS + 10],
      [1, data.length - 2],
      [3 * CS, 3 * CS + 99],
      [data.length - 1, data.length - 1],
      [0, data.length - 1],
    ];
    for (const [a, b] of ranges) {
      const got = await collect(await s.read(m.id, a, b));
      t.ok(got.equals(data.subarray(a, b + 1)), `bytes ${a}-${b}`);
    }
    await t.rejects(s.read(m.id, 0, data.length), { code: 'RANGE_NOT_SATISFIABLE' });
    await t.rejects(s.read(m.id, 10, 9), { code: 'RANGE_NOT_SATISFIABLE' });
    await t.rejects(s.read(m.id, -1, 9), { code: 'RANGE_NOT_SATISFIABLE' });
  });

  t.test('an empty blob reads as empty', async (t) => {
    const { store: s } = await fresh(t);
    const { manifest: m } = await store(s, Buffer.alloc(0));
    t.equal((await collect(await s.read(m.id))).length, 0);
    t.equal((await s.get(m.id))?.manifest.size, 0);
  });

  t.test('a reader that stops early is fine', async (t) => {
    const { store: s } = await fresh(t);
    const data = randomBytes(4 * CS);
    const { manifest: m } = await store(s, data, [CS]);
    const r = await s.read(m.id);
    for await (const p of r) {
      t.ok((p as Buffer).length > 0);
      break; // destroys the stream
    }
    t.ok(r.destroyed);
    t.ok((await collect(await s.read(m.id))).equals(data), 'still readable');
  });

  t.test('get returns manifest and mtime', async (t) => {
    const { store: s } = await fresh(t);
    const before = Date.now() - 2000;
    const { manifest: m } = await store(s, randomBytes(10));
    const b = await s.get(m.id);
    t.ok(b);
    t.same(b!.manifest, m);
    t.ok(b!.mtime instanceof Date && b!.mtime.getTime() >= before, 'mtime is recent');
    t.equal(await s.has(m.id), true);
    t.equal(b!.created.getTime() % 1000, 0, 'created in whole seconds');
    t.ok(b!.created.getTime() >= before, 'created is recent');
  });

  t.test('restamp gives a copy the blob\'s creation time, kept across a restart', async (t) => {
    const h = await fresh(t);
    const { manifest: m } = await store(h.store, randomBytes(CS + 3));
    const then = '2020-01-02T03:04:05.000Z';
    t.equal(await h.store.restamp(m.id, then), true);
    t.equal((await h.store.get(m.id))?.created.toISOString(), then);
    const s = await h.reopen();
    const after = await s.get(m.id);
    t.equal(after?.created.toISOString(), then, 'kept in the manifest');
    t.same({ ...after?.manifest, created: undefined }, { ...m, created: undefined }, 'nothing else changed');
    t.equal(await s.restamp('f'.repeat(64), then), false, 'false for an absent blob');
  });

  t.test('duplicate publish onto an existing blob keeps one copy', async (t) => {
    const { store: s } = await fresh(t);
    const data = randomBytes(2 * CS + 5);
    const first = await store(s, data);
    const second = await store(s, data, [CS]);
    t.equal(first.created, true);
    t.equal(second.created, false);
    t.same(second.manifest, first.manifest);
    t.equal(s.count(), 1);
    t.same(await ids(s), [first.manifest.id]);
    t.ok((await collect(await s.read(first.manifest.id))).equals(data));
  });

  t.test('concurrent publishes of one content: exactly one creates it', async (t) => {
    const { store: s } = await fresh(t);
    const data = randomBytes(CS + 7);
    const writers = await Promise.all(Array.from({ length: 6 }, () => s.begin()));
    await Promise.all(writers.map((w) => writeAll(w, data, [3000])));
    const results = await Promise.all(writers.map((w) => w.publish()));
    t.equal(results.filter((r) => r.created).length, 1);
    t.equal(s.count(), 1);
    t.same(await ids(s), [sha256(data)]);
    t.ok((await collect(await s.read(sha256(data)))).equals(data));
  });

  t.test('different contents are different blobs', async (t) => {
    const { store: s } = await fresh(t);
    const a = await store(s, Buffer.from('a'));
    const b = await store(s, Buffer.from('b'));
    t.not(a.manifest.id, b.manifest.id);
    t.same(await ids(s), [a.manifest.id, b.manifest.id].sort());
    t.equal(s.count(), 2);
  });

  t.test('abort leaves nothing', async (t) => {
    const h = await fresh(t);
    const s = h.store;
    const data = randomBytes(2 * CS + 3);
    const w = await s.begin();
    await writeAll(w, data, [5000]);
    await w.abort();
    await w.abort();
    t.same(await ids(s), []);
    t.equal(s.count(), 0);
    t.equal(await s.has(sha256(data)), false);
    await t.rejects(Promise.resolve().then(() => w.write(Buffer.from('x'))), 'write after abort fails');
    await t.rejects(w.publish(), 'publish after abort fails');
    const again = await h.reopen();
    t.same(await ids(again), [], 'nothing after a restart either');
  });

  t.test('abort while a write is pending', async (t) => {
    const { store: s } = await fresh(t);
    const w = await s.begin();
    const wait = w.write(randomBytes(3 * CS));
    const aborted = w.abort();
    await wait?.catch(() => undefined);
    await aborted;
    t.same(await ids(s), []);
  });

  t.test('remove', async (t) => {
    const { store: s } = await fresh(t);
    const data = randomBytes(CS * 2);
    const { manifest: m } = await store(s, data);
    const other = await store(s, Buffer.from('other'));
    t.equal(await s.remove(m.id), true);
    t.equal(await s.has(m.id), false);
    t.equal(await s.get(m.id), undefined);
    await t.rejects(s.read(m.id), { code: 'BLOB_NOT_FOUND' });
    t.equal(await s.remove(m.id), false);
    t.equal(s.count(), 1);
    t.same(await ids(s), [other.manifest.id]);
    const again = await store(s, data);
    t.equal(again.created, true, 'the same content can be stored again');
    t.ok((await collect(await s.read(m.id))).equals(data));
  });

  t.test('a restart keeps published blobs and drops unpublished uploads', async (t) => {
    const h = await fresh(t);
    const data = randomBytes(CS + 1);
    const { manifest: m } = await store(h.store, data);
    const before = await h.store.get(m.id);
    const w = await h.store.begin();
    await writeAll(w, randomBytes(CS * 2), [CS]);
    // No publish, no abort: as if the process died here.
    const s = await h.reopen();
    t.same(await ids(s), [m.id]);
    t.equal(s.count(), 1);
    const after = await s.get(m.id);
    t.same(after?.manifest, m);
    t.equal(after?.mtime.getTime(), before?.mtime.getTime(), 'mtime survives');
    t.ok((await collect(await s.read(m.id))).equals(data));
  });

  t.test('a published writer takes no more', async (t) => {
    const { store: s } = await fresh(t);
    const w = await s.begin();
    await w.publish();
    await t.rejects(Promise.resolve().then(() => w.write(Buffer.from('late'))), 'write after publish fails');
  });
}
