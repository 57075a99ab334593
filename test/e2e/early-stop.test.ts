// Early stop on a duplicate with `hoard put`: the bytes sent and the time
// after local hashing, against a new upload of the same size, measured by
// the client on its sockets and by the node's request log. Also: a plain
// `curl -T` of a duplicate still ends as a link to the old blob, with no
// new chunk kept, and the tracker answers for an upload by its id.
import t from 'tap';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UploadResult } from '../../common/protocol/types.js';
import type { UploadStatus } from '../../common/protocol/types.js';
import type { PutResult } from '../../client/tus-upload.js';
import { useCluster } from '../helpers/cluster.js';
import { blobIdsOnDisk, listDir, listFiles, makeRandomFile, sha256File, tempDir } from '../helpers/files.js';
import { curl, curlUpload, http } from '../helpers/http.js';
import { describeRun } from '../helpers/proc.js';

const MiB = 1 << 20;
// Past 100 MiB, so that the 1 MiB an early stop sends is under 1 %.
const SIZE = 128 * MiB + 12_345;

const work = await tempDir();
t.teardown(work.cleanup);
const c = await useCluster(t, { nodes: [{ zone: 'a' }, { zone: 'b' }], chunkSize: 8 * MiB });
const f = await makeRandomFile(join(work.dir, 'big.bin'), SIZE);
// The same bytes under another name: a different file for the client's resume state, one content.
const copy = join(work.dir, 'big-copy.bin');
await copyFile(f.path, copy);

async function put(path: string): Promise<PutResult> {
  const r = await c.client(['put', '--json', '--stats', '--state-dir', join(work.dir, 'state'), path], 120_000);
  if (r.code !== 0) throw new Error(`hoard put ${path}: ${describeRun(r)}`);
  process.stderr.write(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as PutResult;
}

/** Files under every node's blobs/ and tus/ folders. */
async function stored(): Promise<string[]> {
  const out: string[] = [];
  for (const n of c.nodes) {
    for (const p of await listFiles(join(n.dataDir, 'blobs'))) out.push(`${n.index}:blobs/${p}`);
    // Chunk files of resumable uploads (a finished upload's small state file stays until it expires, to answer HEAD).
    for (const p of await listFiles(join(n.dataDir, 'tus'))) if (!p.endsWith('.json')) out.push(`${n.index}:tus/${p}`);
    for (const p of await listDir(join(n.dataDir, 'tmp'))) out.push(`${n.index}:tmp/${p}`);
  }
  return out.sort();
}

/** PATCH bodies the nodes received, by their request log (bytes read from the socket). */
function patchBytesIn(from: number[]): number {
  let total = 0;
  for (const n of c.nodes) {
    for (const line of n.proc.lines.slice(from[n.index])) {
      if (!line.includes('"msg":"request"')) continue;
      const r = JSON.parse(line) as { method?: string; bytesIn?: number };
      if (r.method === 'PATCH') total += r.bytesIn ?? 0;
    }
  }
  return total;
}

let first: PutResult | undefined;

await t.test('a new upload sends the whole file', async (t) => {
  first = await put(f.path);
  t.match(first, { md5: f.md5, sha256: f.sha256, size: f.size, dedup: false, earlyStop: false });
  t.ok(first.sentBytes >= f.size, `sent ${first.sentBytes} ≥ ${f.size} bytes`);
  t.equal((await blobIdsOnDisk(c.nodes[0]!.dataDir)).length + (await blobIdsOnDisk(c.nodes[1]!.dataDir)).length, 1, 'one blob on disk');
});

t.test('a duplicate with hoard put proves possession and stops after its first MiB', { skip: first ? false : 'no first upload' }, async (t) => {
  const before = await stored();
  const linksBefore = (await c.links()).length;
  const marks = c.nodes.map((n) => n.proc.lines.length);
  const dup = await put(copy);
  const received = patchBytesIn(marks);
  t.match(dup, { md5: f.md5, sha256: f.sha256, size: f.size, dedup: true, earlyStop: true });
  t.not(dup.id, first!.id, 'a new link');
  const pct = (100 * dup.sentBytes) / f.size;
  const line =
    `early stop, ${f.size} bytes: new upload sent ${first!.sentBytes} bytes in ${first!.uploadMs.toFixed(1)} ms; ` +
    `duplicate sent ${dup.sentBytes} bytes (${pct.toFixed(3)} %) in ${dup.uploadMs.toFixed(1)} ms (nodes read ${received} PATCH bytes); ` +
    `hashing took ${dup.hashMs.toFixed(0)} ms; duplicate phases ${JSON.stringify(dup.phases, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`;
  t.comment(line);
  process.stderr.write(line + '\n');
  t.ok(dup.sentBytes < f.size / 100, `duplicate sent under 1 % of the file (${pct.toFixed(3)} %)`);
  t.ok(received < f.size / 100, `nodes received under 1 % of the file (${received} bytes)`);
  t.ok(dup.uploadMs < first!.uploadMs, `duplicate (${dup.uploadMs.toFixed(1)} ms) faster than the new upload (${first!.uploadMs.toFixed(1)} ms)`);
  t.same(await stored(), before, 'no new chunk, temp or tus file kept on any node');
  t.equal((await c.links()).length, linksBefore + 1, 'one more link');
  const blobs = await c.blobs();
  t.equal(blobs.length, 1, 'still one blob');

  // The link of the early-stopped upload serves the old blob's bytes.
  const out = join(work.dir, 'dup.out');
  const got = await curl(['-L', '-o', out, '-w', '%{http_code}', dup.link]);
  t.equal(got.stdout, '200', describeRun(got));
  t.equal(await sha256File(out), f.sha256, 'the duplicate link downloads the original bytes');
});

t.test('the tracker answers for a finished upload by its id', async (t) => {
  const small = await makeRandomFile(join(work.dir, 'status.bin'), 3 * MiB + 1);
  const r = await c.client(['put', '--json', '--state-dir', '', small.path]);
  t.equal(r.code, 0, describeRun(r));
  const res = JSON.parse(r.stdout) as PutResult;
  const uploadId = res.uploadId;
  const st = await http(`${c.trackerUrl}/api/uploads/${uploadId}`);
  t.equal(st.status, 200, st.text);
  const body = JSON.parse(st.text) as UploadStatus;
  t.match(body, { uploadId, link: res.link, id: res.id, sha256: small.sha256, size: small.size, filename: 'status.bin' });
  const unknown = await http(`${c.trackerUrl}/api/uploads/AAAAAAAAAAAAAAAAAAAAAA`);
  t.equal(unknown.status, 404);
  t.match(unknown.text, /UPLOAD_NOT_FOUND/);
});

t.test('curl -T of a duplicate (no declared hash) still ends as a link to the old blob', { skip: first ? false : 'no first upload' }, async (t) => {
  const before = await stored();
  const up = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/again.bin`, f.path);
  t.equal(up.status, 201, `${up.text.slice(0, 200)} ${describeRun(up.run)}`);
  t.match(up.json, { sha256: f.sha256, md5: f.md5, size: f.size, dedup: true });
  t.same(await stored(), before, 'no new chunk kept');
});
