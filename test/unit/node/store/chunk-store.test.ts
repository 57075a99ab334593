import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { FileChunkStore, type FsOp } from '../../../../node/store/file-chunk-store.js';
import { HashPool } from '../../../../node/hashing/hash-pool.js';
import { integritySuite } from '../../../conformance/chunk-store/integrity.js';
import { collect, store, suite, writeAll } from '../../../conformance/chunk-store/core.js';

const CS = 64 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'hoard-chunks-'));
}

async function openStore(dir: string, extra: Partial<ConstructorParameters<typeof FileChunkStore>[0]> = {}): Promise<FileChunkStore> {
  const s = new FileChunkStore({ dir, chunkSize: CS, ...extra });
  await s.open();
  return s;
}

const harness = async ({ chunkSize }: { chunkSize: number }) => {
  const dir = await tempDir();
  const s = new FileChunkStore({ dir, chunkSize });
  await s.open();
  return {
    store: s,
    reopen: async () => s,
    cleanup: async () => {
      await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

t.test('conformance: integrity and space', async (t) => {
  integritySuite(t, harness);
});

t.test('conformance', async (t) => {
  suite(t, async ({ chunkSize }) => {
    const dir = await tempDir();
    let current = new FileChunkStore({ dir, chunkSize });
    await current.open();
    return {
      store: current,
      async reopen() {
        await current.close();
        current = new FileChunkStore({ dir, chunkSize });
        await current.open();
        return current;
      },
      async cleanup() {
        await current.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
});

t.test('on-disk layout', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const s = await openStore(dir);
  const data = randomBytes(2 * CS + 10);
  const { manifest: m } = await store(s, data);
  const blobDir = join(dir, 'blobs', m.id.slice(0, 2), m.id);
  t.same((await readdir(blobDir)).sort(), ['000000', '000001', '000002', 'manifest.json']);
  t.same(JSON.parse(await readFile(join(blobDir, 'manifest.json'), 'utf8')), m);
  t.ok((await readFile(join(blobDir, '000001'))).equals(data.subarray(CS, 2 * CS)));
  t.same(await readdir(join(dir, 'tmp')), [], 'nothing left in tmp');
});

t.test('durable rename: fsync chunks, manifest and dir before the rename, parent after', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const ops: Array<[FsOp, string]> = [];
  const s = await openStore(dir, { onFsOp: (op, path) => ops.push([op, path]) });
  ops.length = 0;
  const w = await s.begin();
  const tmp = join(dir, 'tmp', w.uploadId);
  await writeAll(w, randomBytes(2 * CS + 10), [10_000]);
  const { manifest: m } = await w.publish();
  const prefix = join(dir, 'blobs', m.id.slice(0, 2));
  const at = (op: FsOp, path: string) => ops.findIndex(([o, p]) => o === op && p === path);
  const rename = at('rename', tmp);
  t.ok(rename > 0, 'renamed the temp dir');
  for (const c of ['000000', '000001', '000002', 'manifest.json']) {
    const synced = at('fsync', join(tmp, c));
    t.ok(synced >= 0 && synced < rename, `${c} fsynced before the rename`);
  }
  t.ok(at('fsync', join(tmp, '000000')) < at('open', join(tmp, '000002')), "a chunk's fsync starts before the chunk after next opens");
  t.ok(at('fsync', join(tmp, '000002')) < at('open', join(tmp, 'manifest.json')), 'every chunk fsync under way before the manifest is written (the rename waits for all of them)');
  const dirSync = at('fsyncDir', tmp);
  t.ok(dirSync > at('fsync', join(tmp, 'manifest.json')) && dirSync < rename, 'temp dir fsynced after the manifest, before the rename');
  t.ok(at('mkdir', prefix) < rename, 'prefix dir made first');
  t.ok(at('fsyncDir', join(dir, 'blobs')) < rename, 'new prefix dir made durable');
  t.ok(at('fsyncDir', prefix) > rename, 'prefix dir fsynced after the rename');
});

t.test('open() empties tmp', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'tmp', 'abc', 'deep'), { recursive: true });
  await writeFile(join(dir, 'tmp', 'abc', '000000'), 'partial');
  await writeFile(join(dir, 'tmp', 'stray'), 'x');
  const s = await openStore(dir);
  t.same(await readdir(join(dir, 'tmp')), []);
  t.equal(s.count(), 0);
});

t.test('a blob dir without a valid manifest is never served', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const data = randomBytes(CS + 1);
  const id = sha256(data);
  const blobDir = join(dir, 'blobs', id.slice(0, 2), id);
  await mkdir(blobDir, { recursive: true });
  await writeFile(join(blobDir, '000000'), data.subarray(0, CS));
  const s = await openStore(dir);
  t.equal(await s.get(id), undefined, 'no manifest');
  await writeFile(join(blobDir, 'manifest.json'), '{"id":"' + id + '","md5":');
  t.equal(await s.get(id), undefined, 'truncated manifest');
  await writeFile(join(blobDir, 'manifest.json'), JSON.stringify({ id, sha256: id, md5: '0'.repeat(32), size: 5, chunkSize: CS, chunks: [] }));
  t.equal(await s.get(id), undefined, 'manifest whose chunks do not add up');
  await t.rejects(s.read(id), { code: 'BLOB_NOT_FOUND' });

  const r = await store(s, data);
  t.equal(r.created, true, 'an upload of that content replaces the debris');
  t.equal(s.count(), 1, 'counted once');
  t.ok((await collect(await s.read(id))).equals(data));
  t.same(await readdir(join(dir, 'tmp')), []);
});

t.test('a disk error mid-upload leaves nothing and surfaces the error', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let fail = false;
  const s = await openStore(dir, {
    onFsOp: (op, path) => {
      if (fail && op === 'open' && path.endsWith('000001')) {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      }
    },
  });
  fail = true;
  const w = await s.begin();
  await t.rejects(writeAll(w, randomBytes(3 * CS), [CS]), { code: 'ENOSPC' });
  await w.abort();
  t.same(await readdir(join(dir, 'tmp')), []);
  t.equal(existsSync(join(dir, 'blobs')) ? (await readdir(join(dir, 'blobs'))).length : 0, 0);

  fail = false;
  const ok = await store(s, randomBytes(2 * CS));
  t.equal(ok.created, true, 'the store keeps working');
});

t.test('hashing threads that fail mid-upload leave nothing, and the next upload starts them again', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const pool = new HashPool({ slotSize: 16 * 1024, inlineBelow: 0 });
  t.teardown(() => pool.close());
  const s = await openStore(dir, { hashPool: pool });
  const w = await s.begin();
  await writeAll(w, randomBytes(CS + 100));
  t.equal(pool.running, true, 'hashed on the threads');
  await pool.close();
  await t.rejects(
    (async () => {
      await writeAll(w, randomBytes(CS));
      await w.publish();
    })(),
    /hash pool closed/,
  );
  await w.abort();
  t.same(await readdir(join(dir, 'tmp')), []);
  t.equal(s.count(), 0);
  const data = randomBytes(2 * CS + 7);
  const { manifest: m } = await store(s, data);
  t.equal(m.md5, createHash('md5').update(data).digest('hex'));
  t.equal(m.sha256, createHash('sha256').update(data).digest('hex'));
});

t.test('a failure while publishing leaves nothing', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const s = await openStore(dir, {
    onFsOp: (op) => {
      if (op === 'rename') throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    },
  });
  const w = await s.begin();
  await writeAll(w, randomBytes(CS + 3));
  await t.rejects(w.publish(), { code: 'EIO' });
  t.same(await readdir(join(dir, 'tmp')), []);
  t.equal(s.count(), 0);
});

t.test('the reserve refuses new chunks with 507', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const probe = await openStore(dir);
  const { freeBytes } = await probe.space();
  // Far above the free space: other tests write and delete large files meanwhile, moving it by more than a chunk.
  const s = await openStore(dir, { reserve: freeBytes + 1024 ** 4 });
  const w = await s.begin();
  let err: unknown;
  try {
    await writeAll(w, randomBytes(CS + 1), [CS + 1]);
    await w.publish();
  } catch (e) {
    err = e;
  }
  t.match(err, { code: 'INSUFFICIENT_STORAGE', status: 507 });
  await w.abort();
  t.same(await readdir(join(dir, 'tmp')), []);
  t.equal(s.count(), 0);
});

t.test('removal takes the blob dir away', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const s = await openStore(dir);
  const { manifest: m } = await store(s, randomBytes(100));
  await s.remove(m.id);
  t.notOk(existsSync(join(dir, 'blobs', m.id.slice(0, 2), m.id)));
  t.same(await readdir(join(dir, 'tmp')), []);
});

t.test('readSample: a range as stored, across chunk boundaries, without the chunk check', async (t) => {
  const dir = await tempDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const s = await openStore(dir);
  const data = randomBytes(3 * CS + 100);
  const { manifest: m } = await store(s, data);
  t.ok((await s.readSample(m.id, 0, 9)).equals(data.subarray(0, 10)));
  t.ok((await s.readSample(m.id, CS - 5, 2 * CS + 4)).equals(data.subarray(CS - 5, 2 * CS + 5)), 'spans three chunks');
  t.ok((await s.readSample(m.id, data.length - 4096, data.length - 1)).equals(data.subarray(-4096)), 'the tail');
  await t.rejects(s.readSample(m.id, 0, data.length), { code: 'RANGE_NOT_SATISFIABLE' });
  await t.rejects(s.readSample(m.id, 10, 9), { code: 'RANGE_NOT_SATISFIABLE' });
  await t.rejects(s.readSample('0'.repeat(64), 0, 1), { code: 'BLOB_NOT_FOUND' });
  // A flipped byte is returned as stored (the proof then fails); read() refuses the chunk.
  const path = join(dir, 'blobs', m.id.slice(0, 2), m.id, '000001');
  const bad = await readFile(path);
  bad[7] = bad[7]! ^ 0xff;
  await writeFile(path, bad);
  t.equal((await s.readSample(m.id, CS + 7, CS + 7))[0], bad[7]);
  await t.rejects(s.read(m.id, CS, CS + 10), { code: 'CHUNK_CORRUPT' });
});
