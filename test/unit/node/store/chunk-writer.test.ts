// The upload writer alone, over a WriterDisk of the test's own: chunk files
// and their fsyncs in order, backpressure, states, the reserve, resumable
// flush/release/replay, and the hand-over to placeBlob once every byte and
// the manifest are durable.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { HoardError } from '../../../../common/protocol/errors.js';
import type { BlobManifest } from '../../../../common/protocol/types.js';
import { HashPool } from '../../../../node/hashing/hash-pool.js';
import { FileChunkWriter } from '../../../../node/store/chunk-writer.js';
import type { FsOp, WriterDisk } from '../../../../node/store/writer-disk.js';

const CS = 64 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

const pool = new HashPool({ threads: false });
t.teardown(() => pool.close());

/** A disk that records every step and places a blob by remembering it. */
function disk(opts: { roomLeft?: () => boolean; fail?: (op: FsOp, path: string) => boolean } = {}) {
  const ops: Array<[string, string]> = [];
  const placed: Array<{ dir: string; manifest: BlobManifest; files: string[] }> = [];
  const d: WriterDisk = {
    fsOp(op, path) {
      ops.push([op, path]);
      if (opts.fail?.(op, path)) throw Object.assign(new Error(`EIO: ${op} ${path}`), { code: 'EIO' });
    },
    async fsyncDir(path) {
      ops.push(['fsyncDir', path]);
    },
    async rmTree(path) {
      ops.push(['rm', path]);
      await rm(path, { recursive: true, force: true });
    },
    async checkRoom() {
      if (opts.roomLeft && !opts.roomLeft()) throw new HoardError('INSUFFICIENT_STORAGE');
    },
    async placeBlob(dir, manifest) {
      ops.push(['place', dir]);
      placed.push({ dir, manifest, files: (await readdir(dir)).sort() });
      return { manifest, created: true };
    },
  };
  return { d, ops, placed };
}

async function fresh(t: Test, d: WriterDisk, resumable = false) {
  const root = t.testdir();
  const dir = join(root, 'up');
  if (!resumable) await mkdir(dir);
  // A resumable writer makes its folder with its first write and syncs the parent's entry at its first flush.
  return { dir, w: new FileChunkWriter(d, 'up', dir, CS, pool, resumable, resumable) };
}

async function feed(w: FileChunkWriter, data: Buffer, piece = 10_000): Promise<void> {
  for (let off = 0; off < data.length; off += piece) {
    const wait = w.write(Buffer.from(data.subarray(off, off + piece)));
    if (wait) await wait;
  }
}

t.test('publish: chunks and manifest durable and the folder synced before placeBlob, which gets the manifest', async (t) => {
  const { d, ops, placed } = disk();
  const { dir, w } = await fresh(t, d);
  const data = randomBytes(2 * CS + 100);
  await feed(w, data);
  const { manifest, created } = await w.publish();
  t.equal(created, true);
  t.match(manifest, { id: sha256(data), sha256: sha256(data), md5: md5(data), size: data.length, chunkSize: CS });
  t.same(manifest.chunks.map((c) => c.sha256), [0, 1, 2].map((i) => sha256(data.subarray(i * CS, (i + 1) * CS))));
  t.same(placed, [{ dir, manifest, files: ['000000', '000001', '000002', 'manifest.json'] }]);
  t.same(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')), manifest, 'the manifest on disk is the one placed');
  const at = (op: string, path: string) => ops.findIndex(([o, p]) => o === op && p === path);
  const place = at('place', dir);
  for (const f of ['000000', '000001', '000002', 'manifest.json']) t.ok(at('fsync', join(dir, f)) < place, `${f} fsynced first`);
  t.ok(at('fsyncDir', dir) > at('fsync', join(dir, 'manifest.json')) && at('fsyncDir', dir) < place, 'folder synced after the manifest, before placing');
  t.equal(ops.filter(([o]) => o === 'place').length, 1);
});

t.test('seal is idempotent; the writer takes nothing after it; publish after abort fails and keeps nothing', async (t) => {
  const { d, ops } = disk();
  const { dir, w } = await fresh(t, d);
  await feed(w, randomBytes(100));
  const m = await w.seal();
  t.equal(await w.seal(), m);
  await t.rejects(Promise.resolve().then(() => w.write(Buffer.from('late'))), /write after sealing/);
  await w.abort();
  await w.abort();
  await t.rejects(w.publish());
  t.ok(ops.some(([o, p]) => o === 'rm' && p === dir), 'its folder removed');
  await t.rejects(stat(dir), { code: 'ENOENT' });
});

t.test('backpressure: small writes go on at once, a body far ahead of the disk is asked to wait', async (t) => {
  const { d } = disk();
  const { w } = await fresh(t, d);
  t.equal(w.write(Buffer.alloc(1000)), undefined, 'a small piece needs no wait');
  let wait: Promise<void> | undefined;
  for (let i = 0; i < 8 && !wait; i++) wait = w.write(Buffer.alloc(CS));
  t.ok(wait, 'whole chunks queue disk work: the caller is told to wait');
  await wait;
  await w.abort();
});

t.test('the reserve: a new chunk file is refused with 507, and abort leaves nothing', async (t) => {
  let files = 0;
  const { d } = disk({ roomLeft: () => ++files <= 1 });
  const { dir, w } = await fresh(t, d);
  await t.rejects(
    (async () => {
      await feed(w, randomBytes(3 * CS), CS);
      await w.publish();
    })(),
    { code: 'INSUFFICIENT_STORAGE', status: 507 },
  );
  await w.abort();
  await t.rejects(stat(dir), { code: 'ENOENT' });
});

t.test('a failing disk step fails the writer; nothing is placed', async (t) => {
  const { d, placed } = disk({ fail: (op, path) => op === 'fsync' && path.endsWith('000001') });
  const { w } = await fresh(t, d);
  await t.rejects(
    (async () => {
      await feed(w, randomBytes(3 * CS));
      await w.publish();
    })(),
    { code: 'EIO' },
  );
  t.same(placed, []);
});

t.test('resumable: flush makes the bytes durable (the folder entry once), release keeps them, replay cuts back and goes on', async (t) => {
  const { d, ops } = disk();
  const { dir, w } = await fresh(t, d, true);
  const data = randomBytes(3 * CS + 500);
  await feed(w, data.subarray(0, CS + 300));
  await w.flush();
  t.same(await readdir(dir), ['000000', '000001']);
  t.equal((await stat(join(dir, '000001'))).size, 300, 'every byte taken is on disk');
  const parent = join(dir, '..');
  t.ok(ops.some(([o, p]) => o === 'fsyncDir' && p === parent), "the folder's own entry synced");
  await feed(w, data.subarray(CS + 300, CS + 400));
  await w.flush();
  t.equal(ops.filter(([o, p]) => o === 'fsyncDir' && p === parent).length, 1, 'only at the first flush');
  await w.release();
  t.equal((await stat(join(dir, '000001'))).size, 400, 'release keeps the bytes');

  // As after a restart whose last durable offset was CS + 300: the 100 bytes after it go.
  const again = new FileChunkWriter(d, 'up', dir, CS, pool, true);
  await again.replay(CS + 300);
  t.equal(again.bytes, CS + 300);
  t.equal((await stat(join(dir, '000001'))).size, 300, 'cut back to the durable offset');
  await feed(again, data.subarray(CS + 300));
  const { manifest } = await again.publish();
  t.equal(manifest.sha256, sha256(data), 'the rebuilt hashes end right');
  t.equal(manifest.md5, md5(data));
});

t.test('replay refuses chunk files shorter than the offset they should hold', async (t) => {
  const { d } = disk();
  const { dir, w } = await fresh(t, d, true);
  await feed(w, randomBytes(100));
  await w.flush();
  await w.release();
  const again = new FileChunkWriter(d, 'up', dir, CS, pool, true);
  await t.rejects(again.replay(200), { code: 'INTERNAL' });
  await again.release();
});
