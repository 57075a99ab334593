// A real MD5 collision: two different files with one MD5 (and, with a common
// suffix, one MD5 at every prefix checkpoint too) are two blobs, each link
// serves its own bytes, the tracker warns, and early stop is off for that
// MD5 from then on. Both orders; the second file goes through hoard put in
// one order and a plain curl -T in the other.
import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UploadResult } from '../../common/protocol/types.js';
import type { PutResult } from '../../client/tus-upload.js';
import { useCluster } from '../helpers/cluster.js';
import { sha256File, tempDir } from '../helpers/files.js';
import { curl, curlUpload } from '../helpers/http.js';
import { describeRun } from '../helpers/proc.js';

const MiB = 1 << 20;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const fixture = JSON.parse(await readFile(new URL('../fixtures/md5-collision.json', import.meta.url), 'utf8')) as { a: string; b: string; md5: string };
const blockA = Buffer.from(fixture.a, 'hex');
const blockB = Buffer.from(fixture.b, 'hex');
const valid = blockA.length === 128 && blockB.length === 128 && !blockA.equals(blockB) && md5(blockA) === md5(blockB) && md5(blockA) === fixture.md5 && sha256(blockA) !== sha256(blockB);
t.ok(valid, `test/fixtures/md5-collision.json holds two different 128-byte inputs with one MD5 (md5 ${md5(blockA)} / ${md5(blockB)}, equal bytes: ${blockA.equals(blockB)})`);
if (!valid) throw new Error('the MD5 collision fixture is not a collision pair: this test proves nothing without one');

const work = await tempDir();
t.teardown(work.cleanup);
const c = await useCluster(t, { nodes: [{ zone: 'a' }, { zone: 'b' }], chunkSize: MiB });

interface Pair {
  a: string;
  b: string;
  md5: string;
  shaA: string;
  shaB: string;
}

/** block || suffix for both blocks: a colliding pair of 3 MiB files. */
async function pair(tag: string): Promise<Pair> {
  const suffix = randomBytes(3 * MiB);
  const fa = Buffer.concat([blockA, suffix]);
  const fb = Buffer.concat([blockB, suffix]);
  const a = join(work.dir, `${tag}-a.bin`);
  const b = join(work.dir, `${tag}-b.bin`);
  await writeFile(a, fa);
  await writeFile(b, fb);
  t.equal(md5(fa), md5(fb), `${tag}: the two files share their MD5`);
  t.equal(md5(fa.subarray(0, MiB)), md5(fb.subarray(0, MiB)), `${tag}: and the MD5 of their first MiB (a prefix checkpoint)`);
  t.not(sha256(fa), sha256(fb), `${tag}: their SHA-256 differ`);
  return { a, b, md5: md5(fa), shaA: sha256(fa), shaB: sha256(fb) };
}

async function put(path: string): Promise<PutResult> {
  const r = await c.client(['put', '--json', '--state-dir', '', path]);
  if (r.code !== 0) throw new Error(`hoard put ${path}: ${describeRun(r)}`);
  return JSON.parse(r.stdout) as PutResult;
}

async function again(path: string): Promise<PutResult> {
  const copy = `${path}.again-${randomBytes(3).toString('hex')}`;
  await copyFile(path, copy);
  return put(copy);
}

async function downloadSha(link: string): Promise<string> {
  const out = join(work.dir, `dl-${randomBytes(4).toString('hex')}`);
  const r = await curl(['-L', '-o', out, '-w', '%{http_code}', link]);
  if (r.stdout !== '200') throw new Error(`download ${link}: ${describeRun(r)}`);
  return sha256File(out);
}

function collisionWarnings(md5hex: string): number {
  return c.tracker.proc.records().filter((r) => r.level === 40 && r.md5 === md5hex && String(r.msg).includes('MD5 collision')).length;
}

async function checkTwoBlobs(t: Test, p: Pair, linkA: string, linkB: string): Promise<void> {
  const under = (await c.blobs()).filter((b) => b.md5 === p.md5);
  t.equal(under.length, 2, 'two blobs under one MD5');
  t.same(under.map((b) => b.sha256).sort(), [p.shaA, p.shaB].sort(), 'one per SHA-256');
  t.equal(await downloadSha(linkA), p.shaA, 'the first link serves the first file');
  t.equal(await downloadSha(linkB), p.shaB, 'the second link serves the second file');
  t.equal(collisionWarnings(p.md5), 1, 'the tracker logged one collision warning for that MD5');
}


t.test('first file, then its collision (both with hoard put)', async (t) => {
  const p = await pair('order1');
  const a = await put(p.a);
  t.match(a, { sha256: p.shaA, md5: p.md5, dedup: false });
  const dupBefore = await again(p.a);
  t.match(dupBefore, { sha256: p.shaA, dedup: true, earlyStop: true }, 'before the collision a duplicate stops early');

  const b = await put(p.b);
  t.match(b, { sha256: p.shaB, md5: p.md5, dedup: false, earlyStop: false }, 'the colliding file is uploaded in full and stored as itself');
  await checkTwoBlobs(t, p, a.link, b.link);

  const dupAfter = await again(p.a);
  t.match(dupAfter, { sha256: p.shaA, dedup: true, earlyStop: false }, 'after the collision, early stop is off for that MD5');
  t.ok(dupAfter.sentBytes >= dupAfter.size, `the duplicate sent the whole file (${dupAfter.sentBytes} bytes)`);
  t.equal(await downloadSha(dupAfter.link), p.shaA, 'and its link still serves the first file');
});

t.test('the collision first, then the other file (plain curl -T)', async (t) => {
  const p = await pair('order2');
  const b = await put(p.b);
  t.match(b, { sha256: p.shaB, dedup: false });
  const up = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/order2-a.bin`, p.a);
  t.equal(up.status, 201, describeRun(up.run));
  t.match(up.json, { sha256: p.shaA, md5: p.md5, dedup: false }, 'a plain upload of the other file is a new blob');
  await checkTwoBlobs(t, p, up.json!.link, b.link);
  const dup = await again(p.b);
  t.match(dup, { sha256: p.shaB, dedup: true, earlyStop: false }, 'early stop is off for that MD5');
});
