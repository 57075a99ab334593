// The chunk store's resumable uploads: prefix digests at the checkpoints,
// flush then resume (in the same process or after a restart, by rehashing
// the chunk files) ends with the manifest of a one-pass upload.
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { FileChunkStore } from '../../../../node/store/file-chunk-store.js';
import type { ChunkWriter } from '../../../../node/store/chunk-store.js';

const MiB = 1 << 20;
const CS = 768 * 1024; // chunk boundaries fall between checkpoints
const data = randomBytes(5 * MiB + 12_345);
const digest = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');

async function feed(w: ChunkWriter, buf: Buffer, piece = 200_001): Promise<void> {
  for (let off = 0; off < buf.length; off += piece) await w.write(Buffer.from(buf.subarray(off, off + piece)));
}

async function open(dir: string): Promise<FileChunkStore> {
  const s = new FileChunkStore({ dir, chunkSize: CS });
  await s.open();
  return s;
}

t.test('prefix digests are taken at 1 MiB and 4 MiB in the same pass', async (t) => {
  const store = await open(t.testdir());
  const w = await store.begin();
  await feed(w, data);
  // A plain writer has them by seal(); a resumable one as soon as a write passes the checkpoint (below).
  await w.seal();
  t.same(
    w.prefixes.map((p) => p.offset),
    [MiB, 4 * MiB],
  );
  for (const p of w.prefixes) {
    t.equal(p.md5, digest('md5', data.subarray(0, p.offset)), `md5 at ${p.offset}`);
    t.equal(p.sha256, digest('sha256', data.subarray(0, p.offset)), `sha256 at ${p.offset}`);
  }
  const { manifest } = await w.publish();
  t.same(manifest.prefixes, w.prefixes, 'the manifest carries them');
  t.equal(manifest.sha256, digest('sha256', data));
});

t.test('a resumable writer has each prefix digest once the write that passed its checkpoint resolves', async (t) => {
  const store = await open(t.testdir());
  const w = await store.beginResumable('mid-stream');
  t.teardown(() => w.abort());
  for (let off = 0; off < data.length; off += 300_000) {
    await w.write(Buffer.from(data.subarray(off, off + 300_000)));
    const passed = [MiB, 4 * MiB].filter((c) => c <= w.bytes);
    t.same(
      w.prefixes.map((p) => p.offset),
      passed,
      `at ${w.bytes} bytes`,
    );
  }
  for (const p of w.prefixes) t.equal(p.sha256, digest('sha256', data.subarray(0, p.offset)), `sha256 at ${p.offset}`);
});

t.test('flush, release, resume in process: the same blob as one pass', async (t) => {
  const dir = t.testdir();
  const store = await open(dir);
  const ref = await store.begin();
  await feed(ref, data);
  const one = (await ref.seal());
  await ref.abort();

  const w = await store.beginResumable('up1');
  const cut = Math.floor(2.5 * MiB);
  await feed(w, data.subarray(0, cut));
  await w.flush();
  // Bytes after the last flush are not part of the durable offset: a resume cuts them off.
  await feed(w, data.subarray(cut, cut + 300_000));
  await w.release();
  const r = await store.resumeResumable('up1', cut);
  t.equal(r.bytes, cut, 'resumed at the durable offset');
  t.same(r.prefixes.map((p) => p.offset), [MiB], 'the prefix digest is rebuilt');
  await feed(r, data.subarray(cut));
  const { manifest } = await r.publish();
  // `created` is each seal's own clock reading: the two passes may fall in different seconds.
  t.same({ ...manifest, created: undefined }, { ...one, created: undefined }, 'identical manifest: identity, chunks and prefix digests');
  const back: Buffer[] = [];
  for await (const b of await store.read(manifest.id)) back.push(b as Buffer);
  t.ok(Buffer.concat(back).equals(data), 'the blob reads back identical');
  t.same(await store.listResumable(), [], 'the resumable folder became the blob');
});

t.test('a restart keeps resumable uploads (and still empties tmp/)', async (t) => {
  const dir = t.testdir();
  const s1 = await open(dir);
  const w = await s1.beginResumable('up2');
  await feed(w, data.subarray(0, 2 * MiB + 5));
  await w.flush();
  await w.release();
  const stray = await s1.begin();
  await stray.write(Buffer.from('half an upload'));
  await s1.close();

  const s2 = await open(dir);
  t.same(await s2.listResumable(), ['up2'], 'the resumable upload is still there');
  t.same(await readdir(join(dir, 'tmp')), [], 'tmp/ was emptied');
  const r = await s2.resumeResumable('up2', 2 * MiB + 5);
  await feed(r, data.subarray(2 * MiB + 5));
  const { manifest } = await r.publish();
  t.equal(manifest.sha256, digest('sha256', data), 'rehashed from the chunk files, published right');
  t.same(manifest.prefixes?.map((p) => p.offset), [MiB, 4 * MiB]);
});

t.test('removeResumable frees the bytes', async (t) => {
  const store = await open(t.testdir());
  const w = await store.beginResumable('up3');
  await feed(w, data.subarray(0, MiB));
  await w.flush();
  await w.release();
  t.equal(await store.removeResumable('up3'), MiB, 'reports the bytes it freed');
  t.same(await store.listResumable(), []);
});
