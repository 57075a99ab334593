// Resumable uploads with off-the-shelf clients: tus-js-client cut off,
// resumed after a node restart, byte-identical; a tus duplicate that ends
// early the protocol's own way; hoard put broken by the network and resumed
// in the same run and in a later one; the tus rules (version, offsets,
// content type, checksum, termination); an abandoned upload's bytes reclaimed;
// concatenation (parallelUploads) joined into one link; an empty file's
// link in the creation answer.
import t from 'tap';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import { parseChallenge } from '../../common/protocol/proof.js';
import { computeProof, proofFromFile } from '../../common/proof.js';
import { TUS_H, TUS_VERSION } from '../../common/protocol/tus.js';
import type { PutResult } from '../../client/tus-upload.js';
import { useCluster } from '../helpers/cluster.js';
import { blobIdsOnDisk, listFiles, makeRandomFile, sha256File, tempDir, type TestFile } from '../helpers/files.js';
import { curl, http } from '../helpers/http.js';
import { describeRun, sleep, waitFor } from '../helpers/proc.js';
import { md5Of, sha256Of, tusCreate, tusHead, tusPatch } from '../helpers/tus.js';
import { startUploadCutProxy } from '../helpers/upload-cut-proxy.js';

const MiB = 1 << 20;
const work = await tempDir();
t.teardown(work.cleanup);
const proxy = await startUploadCutProxy();
t.teardown(() => proxy.close());
const c = await useCluster(t, { nodes: [{ zone: 'a', publicUrl: proxy.url }], chunkSize: MiB, waitUp: false });
const node = c.nodes[0]!;
proxy.setTarget(node.port);
await c.waitUp();
const endpoint = `${c.trackerUrl}/files`;

async function downloadSha(link: string): Promise<string> {
  const out = join(work.dir, `dl-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  const r = await curl(['-L', '-o', out, '-w', '%{http_code}', link]);
  if (r.stdout !== '200') throw new Error(`download ${link}: ${describeRun(r)}`);
  return sha256File(out);
}

/** Node request log lines for PATCH after `from`. */
function patches(from: number): { status: number; bytesIn: number }[] {
  return node.proc
    .records()
    .slice(from)
    .filter((r) => r.msg === 'request' && r.method === 'PATCH')
    .map((r) => ({ status: Number(r.status), bytesIn: Number(r.bytesIn) }));
}

interface TusRun {
  upload: tus.Upload;
  done: Promise<tus.HttpResponse | undefined>;
}

function tusUpload(file: TestFile, opts: Partial<tus.UploadOptions>): TusRun {
  let upload!: tus.Upload;
  const done = new Promise<tus.HttpResponse | undefined>((resolve, reject) => {
    upload = new tus.Upload(createReadStream(file.path), {
      endpoint,
      chunkSize: MiB,
      retryDelays: [100, 300, 600, 1000],
      metadata: { filename: 'tus.bin' },
      ...opts,
      onSuccess: (p) => resolve(p.lastResponse),
      onError: reject,
    });
  });
  upload.start();
  return { upload, done };
}

const big = await makeRandomFile(join(work.dir, 'tus-big.bin'), 12 * MiB + 777);
let bigLink = '';

await t.test('tus-js-client: cut off, node restarted, resumed, byte-identical', async (t) => {
  let url = '';
  let aborted = false;
  const first = tusUpload(big, {
    onUploadUrlAvailable: () => undefined,
    onProgress: (sent) => {
      if (!aborted && sent > big.size * 0.4) {
        aborted = true;
        url = first.upload.url ?? '';
        void first.upload.abort();
      }
    },
  });
  await waitFor('the abort', () => aborted, 30_000, 20);
  first.done.catch(() => undefined);
  t.match(url, /\/tus\/[A-Za-z0-9_-]{22}$/, 'the upload URL is on the node');
  // The node keeps what arrived: wait until its offset stops moving, then restart it.
  let offset = -1;
  await waitFor('a settled offset', async () => {
    const h = await tusHead(url);
    const now = Number(h.headers[TUS_H.offset]);
    const settled = now === offset && now > 0;
    offset = now;
    return settled;
  }, 10_000, 200);
  t.ok(offset > 0 && offset < big.size, `the node holds ${offset} of ${big.size} bytes`);
  await node.restart();
  proxy.setTarget(node.port);
  const after = await tusHead(url);
  t.equal(after.status, 200, 'the upload survived the restart');
  t.equal(Number(after.headers[TUS_H.offset]), offset, 'with its offset');

  const mark = node.proc.records().length;
  const second = tusUpload(big, { uploadUrl: url });
  const res = await second.done;
  await sleep(200);
  const link = res?.getHeader('Hoard-Link') ?? '';
  t.match(link, /\/f\/[A-Za-z0-9_-]{16,}$/, `the last answer carries the link (${link})`);
  const sent = patches(mark).reduce((s, p) => s + p.bytesIn, 0);
  t.ok(sent <= big.size - offset + 64 * 1024, `the resumed run sent only the rest (${sent} bytes after ${offset})`);
  t.ok(node.proc.records().some((r) => r.msg === 'resumable upload rehashed from disk'), 'the node rebuilt the hashes from the chunk files');
  t.equal(await downloadSha(link), big.sha256, 'the link downloads the file byte-identical');
  const uploadId = url.split('/').pop()!;
  const st = JSON.parse((await http(`${c.trackerUrl}/api/uploads/${uploadId}`)).text) as { link: string };
  t.equal(st.link, link, 'the tracker answers with the same link by upload id');
  bigLink = link;
});

t.test('tus-js-client: a duplicate ends early once its proof passed', { skip: bigLink ? false : 'no stored file' }, async (t) => {
  const blobsBefore = await blobIdsOnDisk(node.dataDir);
  const mark = node.proc.records().length;
  let challenge: string | undefined;
  let proved = false;
  const dup = tusUpload(big, {
    metadata: { filename: 'tus-dup.bin', md5: big.md5, sha256: big.sha256 },
    onAfterResponse: (req, res) => {
      if (req.getMethod() === 'POST') challenge = res.getHeader('Hoard-Challenge');
    },
    onBeforeRequest: async (req) => {
      const ch = parseChallenge(challenge, big.size);
      if (req.getMethod() !== 'PATCH' || !ch || proved) return;
      proved = true;
      const uploadId = req.getURL().split('/').pop()!;
      req.setHeader('Hoard-Proof', await proofFromFile(big.path, ch, uploadId, big.size));
    },
  });
  const res = await dup.done;
  t.ok(proved, 'the client answered the challenge');
  // The node logs a request when its socket side is done; give the line a moment to arrive.
  await waitFor('the PATCH log line', () => patches(mark).length > 0, 5_000, 20).catch(() => undefined);
  await sleep(200);
  const p = patches(mark);
  t.equal(p.length, 1, 'one PATCH: the offset jumped to the length after it');
  t.ok((p[0]?.bytesIn ?? Infinity) <= MiB + 4096, `it carried at most the first MiB (${p[0]?.bytesIn} bytes of ${big.size})`);
  const link = res?.getHeader('Hoard-Link') ?? '';
  t.not(link, bigLink, 'a new link');
  t.equal(res?.getHeader('Hoard-Dedup'), '1');
  t.equal(await downloadSha(link), big.sha256, 'to the same content');
  t.same(await blobIdsOnDisk(node.dataDir), blobsBefore, 'no new blob on disk');
  t.same((await listFiles(join(node.dataDir, 'tus'))).filter((f) => !f.endsWith('.json')), [], 'no chunk of the duplicate kept');
});

t.test('a declared duplicate sent whole in one PATCH ends early every time', async (t) => {
  // Just past the first checkpoint: the whole body is in before the proof's verdict comes back.
  const body = Buffer.from(await readFile(big.path)).subarray(0, MiB + 5_000);
  const d = { size: body.length, md5: md5Of(body), sha256: sha256Of(body) };
  const first = await tusCreate(c.trackerUrl, { ...d, filename: 'one-patch.bin' });
  t.equal((await tusPatch(first.url, 0, body)).status, 204, 'stored once');
  for (let i = 1; i <= 4; i++) {
    const up = await tusCreate(c.trackerUrl, { ...d, filename: `one-patch-${i}.bin` });
    const proof = await computeProof(up.challenge!, up.uploadId, body.length, (a, b) => (async function* () {
      yield body.subarray(a, b + 1);
    })());
    const mark = node.proc.records().length;
    const r = await tusPatch(up.url, 0, body, { [TUS_H.proof]: proof });
    t.equal(r.status, 204, `try ${i}: 204`);
    t.equal(r.headers[TUS_H.dedup], '1');
    const stopped = () => node.proc.records().slice(mark).some((x) => x.msg === 'early stop: duplicate proven' && x.upload === up.uploadId);
    await waitFor('the early-stop log line', stopped, 5_000, 20).catch(() => undefined);
    t.ok(stopped(), `try ${i}: ended early`);
  }
});

t.test('hoard put broken by the network: resumed in the same run, and by a later run', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'cut.bin'), 24 * MiB + 99);
  const state = join(work.dir, 'state');
  proxy.cutNext(9 * MiB);
  const once = await c.client(['put', '--json', '--state-dir', state, f.path], 60_000);
  t.equal(once.code, 0, describeRun(once));
  t.match(once.stderr, /resuming at/, 'the client resumed after the cut');
  const r1 = JSON.parse(once.stdout) as PutResult;
  t.equal(r1.sha256, f.sha256);
  t.equal(await downloadSha(r1.link), f.sha256, 'byte-identical');

  const g = await makeRandomFile(join(work.dir, 'cut2.bin'), 24 * MiB + 101);
  proxy.cutNext(9 * MiB);
  const broken = await c.client(['put', '--retries', '0', '--state-dir', state, g.path], 60_000);
  t.equal(broken.code, 1, 'the first run gives up at the cut');
  t.match(broken.stderr, /run the same command again to resume/);
  await sleep(300);
  const resumed = await c.client(['put', '--json', '--state-dir', state, g.path], 60_000);
  t.equal(resumed.code, 0, describeRun(resumed));
  const r2 = JSON.parse(resumed.stdout) as PutResult;
  t.ok(r2.resumedAt > 0, `the second run resumed at ${r2.resumedAt}`);
  t.ok(r2.sentBytes < g.size - r2.resumedAt + 64 * 1024, `and sent only the rest (${r2.sentBytes} bytes)`);
  t.equal(await downloadSha(r2.link), g.sha256, 'byte-identical');
  t.same(await listFiles(state), [], 'the resume state is gone once the upload finished');
});

t.test('tus-js-client parallelUploads: four parts joined into one upload, one link, byte-identical', async (t) => {
  const links = (await c.links()).length;
  const whole = await makeRandomFile(join(work.dir, 'parallel.bin'), 5 * MiB + 333);
  const run = tusUpload(whole, { parallelUploads: 4, metadata: { filename: 'parallel.bin' } });
  const res = await run.done;
  const link = res?.getHeader(TUS_H.link);
  t.ok(link, 'the final upload\'s creation answer carries the link');
  t.equal(await downloadSha(link!), whole.sha256, 'byte-identical');
  const after = await c.links();
  t.equal(after.length, links + 1, 'exactly one link: the parts made none');
  t.equal(after.find((l) => link!.endsWith(l.id))?.filename, 'parallel.bin');
  // The parts' bytes go once the final upload ended (its small state file stays to answer HEAD).
  const chunks = (await listFiles(join(node.dataDir, 'tus'))).filter((p) => !p.endsWith('.json'));
  t.same(chunks, [], 'no part left on the node');
  const head = await tusHead(run.upload.url!);
  t.equal(head.headers[TUS_H.offset], String(whole.size), 'HEAD on the final upload: complete');
  const again = tusUpload(whole, { parallelUploads: 4, metadata: { filename: 'again.bin' } });
  t.equal((await again.done)?.getHeader(TUS_H.dedup), '1', 'the same file again: deduplicated like any upload');
});

t.test('tus concatenation: a final naming an unfinished part or a stranger is refused', async (t) => {
  const part = await tusCreate(c.trackerUrl, { size: 10, concat: 'partial' });
  t.equal(part.status, 201);
  t.equal(part.headers[TUS_H.concat], 'partial');
  t.equal((await tusPatch(part.url, 0, Buffer.alloc(4))).status, 204);
  const unfinished = await tusCreate(c.trackerUrl, { concat: `final;${part.url}` });
  t.equal(unfinished.status, 400);
  t.match(unfinished.text, 'TUS_CONCAT_INVALID');
  const stranger = await tusCreate(c.trackerUrl, { concat: 'final;http://example.invalid/tus/abc' });
  t.equal(stranger.status, 400);
  t.match(stranger.text, 'TUS_CONCAT_INVALID');
  const bad = await tusCreate(c.trackerUrl, { size: 10, concat: 'sideways' });
  t.equal(bad.status, 400);
  t.match(bad.text, 'TUS_CONCAT_INVALID');
  const ext = await http(`${c.trackerUrl}/files`, { method: 'OPTIONS' });
  t.match(ext.headers['tus-extension'], /concatenation/);
});

t.test('tus-js-client: an empty file gets its link in the creation answer', async (t) => {
  const empty = await makeRandomFile(join(work.dir, 'empty.bin'), 0);
  const res = await tusUpload(empty, { uploadSize: 0, metadata: { filename: 'empty.bin' } }).done;
  const link = res?.getHeader('Hoard-Link') ?? '';
  t.match(link, /\/f\/[\w-]{22}$/, `Hoard-Link on the last answer: ${link}`);
  t.equal(await downloadSha(link), empty.sha256, 'it downloads as an empty file');
});

t.test('tus rules: version, offsets, content type, checksum, termination, OPTIONS', async (t) => {
  const opt = await http(endpoint, { method: 'OPTIONS' });
  t.equal(opt.status, 204);
  t.equal(opt.headers['tus-version'], TUS_VERSION);
  t.match(opt.headers['tus-extension'], /creation/);
  t.match(opt.headers['tus-extension'], /termination/);
  t.match(opt.headers['tus-extension'], /checksum/);
  t.match(opt.headers['tus-extension'], /expiration/);
  t.match(opt.headers['tus-checksum-algorithm'], /md5/);
  t.match(opt.headers['tus-checksum-algorithm'], /sha256/);

  const noVersion = await http(endpoint, { method: 'POST', headers: { 'upload-length': '10' } });
  t.equal(noVersion.status, 412, 'creation without Tus-Resumable: 412');
  t.equal(noVersion.headers['tus-version'], TUS_VERSION);

  const data = Buffer.from(await readFile(big.path)).subarray(0, 3 * MiB);
  const up = await tusCreate(c.trackerUrl, { size: data.length, filename: 'rules.bin' });
  t.equal(up.status, 201);
  t.equal(up.headers['tus-resumable'], TUS_VERSION);
  t.ok(Date.parse(up.headers['upload-expires'] ?? '') > Date.now(), 'Upload-Expires in the future');

  const wrongType = await http(up.url, { method: 'PATCH', headers: { 'tus-resumable': TUS_VERSION, 'upload-offset': '0', 'content-type': 'application/octet-stream' }, body: data.subarray(0, 10) });
  t.equal(wrongType.status, 415);
  const wrongOffset = await tusPatch(up.url, 5, data.subarray(0, 10));
  t.equal(wrongOffset.status, 409);

  const md5b64 = (b: Buffer) => Buffer.from(md5Of(b), 'hex').toString('base64');
  const good = await tusPatch(up.url, 0, data.subarray(0, MiB), { 'upload-checksum': `md5 ${md5b64(data.subarray(0, MiB))}` });
  t.equal(good.status, 204);
  t.equal(good.headers['upload-offset'], String(MiB));
  const bad = await tusPatch(up.url, MiB, data.subarray(MiB, 2 * MiB), { 'upload-checksum': `md5 ${md5b64(Buffer.from('other'))}` });
  t.equal(bad.status, 460, 'checksum mismatch: 460');
  t.equal((await tusHead(up.url)).headers['upload-offset'], String(MiB), 'and its bytes were dropped');
  const sha = Buffer.from(sha256Of(data.subarray(MiB)), 'hex').toString('base64');
  const rest = await tusPatch(up.url, MiB, data.subarray(MiB), { 'upload-checksum': `sha256 ${sha}` });
  t.equal(rest.status, 204);
  t.equal(rest.headers['upload-offset'], String(data.length));
  t.equal(await downloadSha(rest.headers[TUS_H.link] ?? ''), sha256Of(data), 'the upload after a rejected PATCH is byte-identical');
  const gone = await tusCreate(c.trackerUrl, { size: 2 * MiB, filename: 'gone.bin' });
  const unsupported = await tusPatch(gone.url, 0, data.subarray(0, 10), { 'upload-checksum': 'crc99 AAAA' });
  t.equal(unsupported.status, 400, 'an algorithm not offered: 400');
  t.equal((await tusPatch(gone.url, 0, data.subarray(0, MiB))).status, 204);
  const del = await http(gone.url, { method: 'DELETE', headers: { 'tus-resumable': TUS_VERSION } });
  t.equal(del.status, 204, 'termination');
  t.equal((await tusHead(gone.url)).status, 404, 'a terminated upload is gone');
  t.notOk((await listFiles(join(node.dataDir, 'tus'))).some((f) => f.startsWith(gone.uploadId)), 'with its bytes');
});

t.test('an abandoned upload expires and its bytes are reclaimed', async (t) => {
  const ec = await useCluster(t, { nodes: [{ zone: 'x' }], chunkSize: MiB, nodeArgs: ['--upload-expiry', '2'] });
  const en = ec.nodes[0]!;
  const data = Buffer.from(await readFile(big.path)).subarray(0, 3 * MiB);
  const up = await tusCreate(ec.trackerUrl, { size: 6 * MiB, filename: 'abandoned.bin' });
  t.equal(up.status, 201);
  const p = await tusPatch(up.url, 0, data);
  t.equal(p.status, 204);
  const held = (await listFiles(join(en.dataDir, 'tus'))).filter((f) => f.startsWith(`${up.uploadId}/`));
  t.ok(held.length >= 3, `the node holds the received chunks (${held.join(', ')})`);
  await waitFor('the expiry worker', async () => (await listFiles(join(en.dataDir, 'tus'))).length === 0, 15_000, 250);
  t.same(await listFiles(join(en.dataDir, 'tus')), [], 'chunk files and state are gone');
  const h = await tusHead(up.url);
  t.equal(h.status, 404, 'the upload is unknown');
  t.ok(en.proc.records().some((r) => r.msg === 'resumable upload expired' && r.upload === up.uploadId), 'the node logged the expiry');
});
