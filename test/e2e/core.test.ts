// The main paths through a real two-node cluster: upload, link, download,
// deduplication (on the wire and on disk), ranges, names, concurrency, CLIs.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterStats, LinkInfo, NodeStatus, UploadResult } from '../../common/protocol/types.js';
import { LINK_ID_RE } from '../../common/protocol/ids.js';
import { useCluster, type BlobRecord, type Cluster } from '../helpers/cluster.js';
import { blobDir, blobIdsOnDisk, listDir, listFiles, makeRandomFile, readSlice, sha256, sha256File, tempDir, type TestFile } from '../helpers/files.js';
import { curl, curlJson, curlUpload, errorCode, http, RawHttp, requestHead, resolveLink } from '../helpers/http.js';
import { describeRun } from '../helpers/proc.js';
import { tusCreate, tusHead, tusPatch } from '../helpers/tus.js';
import { TUS_H, TUS_VERSION } from '../../common/protocol/tus.js';

const CHUNK = 65536;
const c: Cluster = await useCluster(t, { nodes: [{ zone: 'a' }, { zone: 'b' }], chunkSize: CHUNK });
const work = await tempDir();
t.teardown(work.cleanup);

const linkIdOf = (link: string): string => new URL(link).pathname.split('/').pop() ?? '';

async function upload(file: TestFile, name: string): Promise<UploadResult> {
  const r = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/${encodeURIComponent(name)}`, file.path);
  if (r.status !== 201 || !r.json) throw new Error(`upload of ${name}: HTTP ${r.status} ${r.text.slice(0, 300)}; ${describeRun(r.run)}`);
  return r.json;
}

/** Files under every node's data/blobs, as "<node index>:<path>". */
async function blobFiles(): Promise<string[]> {
  const all: string[] = [];
  for (const n of c.nodes) for (const f of await listFiles(join(n.dataDir, 'blobs'))) all.push(`${n.index}:${f}`);
  return all.sort();
}

async function tmpEntries(): Promise<string[]> {
  const all: string[] = [];
  for (const n of c.nodes) for (const e of await listDir(join(n.dataDir, 'tmp'))) all.push(`${n.index}:${e}`);
  return all;
}

/** Nodes (by index) holding blob `id` on disk. */
async function holders(id: string): Promise<number[]> {
  const out: number[] = [];
  for (const n of c.nodes) if ((await blobIdsOnDisk(n.dataDir)).includes(id)) out.push(n.index);
  return out;
}

async function download(link: string, name: string): Promise<{ status: number; path: string }> {
  const out = join(work.dir, name);
  const r = await curl(['-L', '-o', out, '-w', '%{http_code}', link]);
  return { status: Number(r.stdout) || 0, path: out };
}

t.test('hoard-admin nodes lists both nodes up with their zones', async (t) => {
  const list = await c.admin<NodeStatus[]>(['nodes']);
  t.ok(Array.isArray(list), 'an array');
  for (const n of c.nodes) {
    const s = list.find((x) => x.id === n.id);
    t.ok(s, `node ${n.id} listed`);
    t.equal(s?.state, 'up');
    t.equal(s?.zone, n.zone);
    t.equal(s?.publicUrl.replace(/\/$/, ''), n.url);
  }
});

t.test('upload, link, byte-identical download, dedup on the wire and on disk', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'small.bin'), 200_000);
  const blobsBefore = (await c.admin<BlobRecord[]>(['blobs'])).length;

  const first = await upload(f, 'small.bin');
  t.match(first, { md5: f.md5, sha256: f.sha256, size: f.size, dedup: false }, 'answer carries the file identity');
  t.ok(first.link.startsWith(`${c.trackerUrl}/f/`), `link ${first.link} is on the tracker`);
  t.equal(first.id, linkIdOf(first.link), 'id is the link id');
  t.match(first.id, LINK_ID_RE);
  t.equal(first.id.length, 22, 'link id is 16 random bytes in base64url');

  const got = await download(first.link, 'small.out');
  t.equal(got.status, 200);
  t.equal(await sha256File(got.path), f.sha256, 'downloaded bytes are identical');

  // On disk: one complete blob folder, chunk files matching the manifest.
  const where = await holders(f.sha256);
  t.equal(where.length, 1, 'the blob is on exactly one node');
  const dir = blobDir(c.nodes[where[0]!]!.dataDir, f.sha256);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
    id: string; md5: string; sha256: string; size: number; chunkSize: number; chunks: { size: number; sha256: string }[];
  };
  t.match(manifest, { id: f.sha256, md5: f.md5, sha256: f.sha256, size: f.size, chunkSize: CHUNK });
  t.equal(manifest.chunks.length, Math.ceil(f.size / CHUNK), 'one chunk per chunk-size piece');
  for (const [i, ch] of manifest.chunks.entries()) {
    const start = i * CHUNK;
    const expected = await readSlice(f.path, start, Math.min(start + CHUNK, f.size) - 1);
    const onDisk = await readFile(join(dir, String(i).padStart(6, '0')));
    t.equal(ch.size, expected.length, `chunk ${i} size`);
    t.equal(ch.sha256, sha256(expected), `chunk ${i} sha256 in the manifest`);
    t.ok(onDisk.equals(expected), `chunk file ${i} holds bytes ${start}..`);
  }
  t.equal((await c.admin<BlobRecord[]>(['blobs'])).length, blobsBefore + 1, 'one new blob at the tracker');

  // Same bytes again, through the tracker: a new link to the same blob, no new files.
  const filesBefore = await blobFiles();
  const second = await upload(f, 'small-again.bin');
  t.match(second, { md5: f.md5, sha256: f.sha256, size: f.size, dedup: true });
  t.not(second.id, first.id, 'a second, distinct link');
  t.same(await blobFiles(), filesBefore, 'no new chunk files on any node');
  t.equal((await c.admin<BlobRecord[]>(['blobs'])).length, blobsBefore + 1, 'still one blob');

  // Same bytes sent straight to the node that does not hold them: its fresh copy is dropped.
  const other = c.nodes.find((n) => n.index !== where[0])!;
  const third = await curlJson<UploadResult>(['-T', f.path, c.signUpload(other, 'small-third.bin')]);
  t.equal(third.status, 201, `direct upload to the other node: ${third.text.slice(0, 200)}`);
  t.match(third.json, { sha256: f.sha256, dedup: true });
  t.same(await blobFiles(), filesBefore, 'the other node kept no copy');
  t.same(await holders(f.sha256), where, 'the blob stays where it was');
  t.same(await tmpEntries(), [], 'no temp folders left');

  const again = await download(third.json?.link ?? first.link, 'small-third.out');
  t.equal(await sha256File(again.path), f.sha256, 'the deduplicated link downloads the same bytes');

  // Link metadata.
  const info = await http(`${c.trackerUrl}/api/links/${second.id}`);
  t.equal(info.status, 200);
  const li = JSON.parse(info.text) as LinkInfo;
  t.match(li, { id: second.id, link: second.link, filename: 'small-again.bin', size: f.size, md5: f.md5, sha256: f.sha256 });
  t.ok(Number.isFinite(Date.parse(li.created)), `created is a date (${li.created})`);
});

t.test('multi-chunk blob: ranges across chunk boundaries, If-Range, HEAD', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'multi.bin'), (1 << 20) + 12_345);
  const up = await upload(f, 'multi.bin');
  t.match(up, { sha256: f.sha256, size: f.size, dedup: false });
  const size = f.size;
  const holder = (await holders(f.sha256))[0];
  t.ok(holder !== undefined, 'stored on a node');
  if (holder === undefined) return;
  const chunkFiles = (await listDir(blobDir(c.nodes[holder]!.dataDir, f.sha256))).filter((n) => /^\d{6}$/.test(n));
  t.equal(chunkFiles.length, Math.ceil(size / CHUNK), `${chunkFiles.length} chunk files`);

  const url = await resolveLink(up.link);
  t.match(url, /\/blob\/[0-9a-f]{64}\?/, `redirect to a signed blob URL: ${url}`);

  const full = await http(url);
  t.equal(full.status, 200);
  t.equal(sha256(full.body), f.sha256, 'full body identical');
  t.equal(full.headers['accept-ranges'], 'bytes');
  t.equal(full.headers.etag, `"${f.sha256}"`);
  t.equal(full.headers['content-type'], 'application/octet-stream');
  t.equal(full.headers['content-length'], String(size));
  t.ok(full.headers['last-modified'], 'Last-Modified set');
  t.match(full.headers['cache-control'] ?? '', /private/);
  // A token or a quoted string: both are RFC 6266.
  t.match(full.headers['content-disposition'] ?? '', /^attachment;\s*filename=("multi\.bin"|multi\.bin)(;|$)/);

  const cases: [string, number, number][] = [
    [`bytes=${CHUNK - 6}-${CHUNK + 9}`, CHUNK - 6, CHUNK + 9], // straddles chunks 0|1
    [`bytes=${CHUNK}-${2 * CHUNK - 1}`, CHUNK, 2 * CHUNK - 1], // exactly chunk 1
    [`bytes=60000-300000`, 60_000, 300_000], // spans five chunks
    ['bytes=0-0', 0, 0],
    ['bytes=-100', size - 100, size - 1],
    [`bytes=-${size + 10}`, 0, size - 1], // suffix longer than the blob: all of it
    ['bytes=1000000-', 1_000_000, size - 1],
    [`bytes=${size - 1}-`, size - 1, size - 1],
    [`bytes=1000-${size + 1000}`, 1000, size - 1], // end clipped
    ['bytes=0-10,5-20', 0, 20], // overlapping ranges merge into one
  ];
  for (const [range, a, b] of cases) {
    const r = await http(url, { headers: { range } });
    t.equal(r.status, 206, `${range} → 206`);
    t.equal(r.headers['content-range'], `bytes ${a}-${b}/${size}`, `${range} Content-Range`);
    t.equal(r.headers['content-length'], String(b - a + 1), `${range} Content-Length`);
    t.ok(r.body.equals(await readSlice(f.path, a, b)), `${range} bytes identical`);
  }

  const unsat = await http(url, { headers: { range: `bytes=${size}-` } });
  t.equal(unsat.status, 416, 'range starting at the end → 416');
  t.equal(unsat.headers['content-range'], `bytes */${size}`);
  t.equal(errorCode(unsat.text), 'RANGE_NOT_SATISFIABLE');

  const multi = await http(url, { headers: { range: 'bytes=0-10,100-200' } });
  t.equal(multi.status, 200, 'disjoint multi-range → the whole blob');
  t.notMatch(multi.headers['content-type'] ?? '', /multipart/);
  t.equal(sha256(multi.body), f.sha256);

  const malformed = await http(url, { headers: { range: 'bytes=abc' } });
  t.equal(malformed.status, 200, 'malformed Range ignored');
  t.equal(malformed.body.length, size);

  const wrongTag = await http(url, { headers: { range: 'bytes=0-99', 'if-range': '"0000"' } });
  t.equal(wrongTag.status, 200, 'If-Range with another ETag → whole blob');
  t.equal(sha256(wrongTag.body), f.sha256);
  const rightTag = await http(url, { headers: { range: 'bytes=0-99', 'if-range': `"${f.sha256}"` } });
  t.equal(rightTag.status, 206, 'If-Range with the ETag → range');
  t.equal(rightTag.body.length, 100);
  const byDate = await http(url, { headers: { range: 'bytes=0-99', 'if-range': full.headers['last-modified'] ?? '' } });
  t.equal(byDate.status, 206, 'If-Range with the Last-Modified date → range');

  const head = await http(url, { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.body.length, 0, 'HEAD has no body');
  t.equal(head.headers['content-length'], String(size));
  t.equal(head.headers.etag, `"${f.sha256}"`);
  t.equal(head.headers['accept-ranges'], 'bytes');
  const headRange = await http(url, { method: 'HEAD', headers: { range: 'bytes=10-19' } });
  t.equal(headRange.status, 206, 'HEAD with a range');
  t.equal(headRange.headers['content-range'], `bytes 10-19/${size}`);

  const linkHead = await http(up.link, { method: 'HEAD' });
  t.equal(linkHead.status, 302, 'HEAD on the link redirects too');
  t.match(linkHead.headers.location ?? '', /\/blob\/[0-9a-f]{64}\?/);

  // curl straight through the redirect with a range across a boundary.
  const part = join(work.dir, 'multi.part');
  const cr = await curl(['-L', '-r', `${CHUNK - 1}-${3 * CHUNK}`, '-o', part, '-w', '%{http_code}', up.link]);
  t.equal(cr.stdout, '206', describeRun(cr));
  t.ok((await readFile(part)).equals(await readSlice(f.path, CHUNK - 1, 3 * CHUNK)), 'curl -r bytes identical');
});

t.test('a non-ASCII file name comes back as filename*', async (t) => {
  const name = 'résumé 日本語 ✓.txt';
  const f = await makeRandomFile(join(work.dir, 'utf8-name.bin'), 5_000);
  const up = await upload(f, name);
  const info = JSON.parse((await http(`${c.trackerUrl}/api/links/${up.id}`)).text) as LinkInfo;
  t.equal(info.filename, name, 'the link keeps the UTF-8 name');
  const url = await resolveLink(up.link);
  t.equal(new URL(url).searchParams.get('name'), name, 'the signed URL carries the name');
  const r = await http(url);
  t.equal(r.status, 200);
  const cd = r.headers['content-disposition'] ?? '';
  t.match(cd, /^attachment;/);
  const star = /filename\*=UTF-8''([^;\s]+)/i.exec(cd);
  t.ok(star, `filename* present in ${cd}`);
  t.equal(star ? decodeURIComponent(star[1]!) : undefined, name, 'filename* decodes to the name');
  t.match(cd, /filename=("[\x20-\x7e]*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+)(;|$)/, 'an ASCII fallback filename');
  t.equal(sha256(r.body), f.sha256);
});

t.test('the tracker answers Expect: 100-continue with the redirect, before any body', async (t) => {
  const conn = await RawHttp.connect(c.tracker.port);
  t.teardown(() => conn.destroy());
  await conn.write(requestHead('PUT', `${c.trackerUrl}/upload/expect.bin`, { 'content-length': 5_000_000, expect: '100-continue' }));
  const first = await conn.interim(5_000);
  t.equal(first?.status, 307, 'the first answer is the 307, not 100 Continue');
  t.match(first?.headers.location ?? '', /\/upload\/expect\.bin\?.*sig=/);
});

t.test('20 concurrent uploads of one new file → 1 blob, 20 links, one copy on disk', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'concurrent.bin'), 5 * CHUNK + 777);
  const blobsBefore = (await c.blobs()).length;
  const linksBefore = (await c.links()).length;
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => curlUpload<UploadResult>(`${c.trackerUrl}/upload/concurrent-${i}.bin`, f.path)),
  );
  for (const [i, a] of answers.entries()) t.equal(a.status, 201, `upload ${i}: ${a.status} ${a.text.slice(0, 200)}`);
  const ok = answers.map((a) => a.json).filter((j): j is UploadResult => j !== undefined);
  t.equal(new Set(ok.map((j) => j.id)).size, 20, '20 distinct links');
  t.ok(ok.every((j) => j.sha256 === f.sha256 && j.md5 === f.md5 && j.size === f.size), 'all report the same identity');
  t.equal(ok.filter((j) => !j.dedup).length, 1, 'exactly one upload created the blob');
  t.equal((await c.blobs()).length, blobsBefore + 1, 'one new blob');
  t.equal((await c.links()).length, linksBefore + 20, '20 new links');
  const where = await holders(f.sha256);
  t.equal(where.length, 1, `exactly one copy on disk across all nodes (found on ${JSON.stringify(where)})`);
  const rec = (await c.blobs()).find((b) => b.id === f.sha256);
  t.same(rec?.nodes, where.map((i) => c.nodes[i]!.id), 'the tracker records the node that holds it');
  t.same(await tmpEntries(), [], 'no temp folders left');
  const sample = await download(ok[13]!.link, 'concurrent.out');
  t.equal(await sha256File(sample.path), f.sha256);
});

t.test('tus concatenation across nodes: parts held by both nodes joined into one link', async (t) => {
  const links = (await c.links()).length;
  const data = (await readFile((await makeRandomFile(join(work.dir, 'joined.bin'), 3 * CHUNK + 5)).path));
  // Three parts, the second on the other node than the first (placement picks the node; bounded tries).
  const pieces = [data.subarray(0, CHUNK), data.subarray(CHUNK, 2 * CHUNK), data.subarray(2 * CHUNK)];
  const onNode = (url: string) => c.nodes.findIndex((n) => url.startsWith(n.url));
  const parts: { url: string; bytes: Buffer }[] = [];
  for (const [i, bytes] of pieces.entries()) {
    let made = await tusCreate(c.trackerUrl, { size: bytes.length, concat: 'partial' });
    for (let n = 0; i === 1 && onNode(made.url) === onNode(parts[0]!.url) && n < 20; n++) {
      await http(made.url, { method: 'DELETE', headers: { [TUS_H.resumable]: TUS_VERSION } });
      made = await tusCreate(c.trackerUrl, { size: bytes.length, concat: 'partial' });
    }
    t.equal(made.status, 201, made.text);
    t.equal((await tusPatch(made.url, 0, bytes)).status, 204);
    parts.push({ url: made.url, bytes });
  }
  t.equal(new Set(parts.map((p) => onNode(p.url))).size, 2, 'parts on both nodes');
  const final = await tusCreate(c.trackerUrl, { concat: `final;${parts.map((p) => p.url).join(' ')}`, filename: 'joined.bin' });
  t.equal(final.status, 201, final.text);
  const link = final.headers[TUS_H.link]!;
  t.ok(link, 'the link in the creation answer');
  const got = await http(await resolveLink(link));
  t.equal(sha256(got.body), sha256(data), 'the joined bytes, in order');
  t.equal((await c.links()).length, links + 1, 'one link');
  for (const p of parts) t.equal((await tusHead(p.url)).status, 404, 'the part is gone once joined');
});

t.test('hoard put prints a link, hoard get downloads it byte-identical', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'cli.bin'), 3 * CHUNK + 5);
  const put = await c.client(['put', f.path]);
  t.equal(put.code, 0, describeRun(put));
  const link = new RegExp(`${c.trackerUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/f/[A-Za-z0-9_-]{16,64}`).exec(put.stdout)?.[0];
  t.ok(link, `a link in the output: ${put.stdout.trim()}`);
  if (!link) return;
  const info = JSON.parse((await http(`${c.trackerUrl}/api/links/${linkIdOf(link)}`)).text) as LinkInfo;
  t.match(info, { filename: 'cli.bin', sha256: f.sha256, size: f.size });
  const out = join(work.dir, 'cli.out');
  const get = await c.client(['get', link, '-o', out]);
  t.equal(get.code, 0, describeRun(get));
  t.equal(await sha256File(out), f.sha256, 'hoard get wrote identical bytes');
});

t.test('hoard-admin stats counts the bytes saved by dedup', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'stats.bin'), 123_457);
  await upload(f, 'stats-1.bin');
  const before = await c.admin<ClusterStats>(['stats']);
  const dup = await upload(f, 'stats-2.bin');
  t.equal(dup.dedup, true);
  const after = await c.admin<ClusterStats>(['stats']);
  t.equal(after.links - before.links, 1, 'one more link');
  t.equal(after.blobs - before.blobs, 0, 'no new blob');
  t.equal(after.logicalBytes - before.logicalBytes, f.size, 'logical bytes grow by the file size');
  t.equal(after.bytesSavedByDedup - before.bytesSavedByDedup, f.size, 'saved bytes grow by the file size');
  t.equal(after.bytesStored, before.bytesStored, 'stored bytes unchanged');
  t.ok(after.bytesSavedByDedup > 0, 'some bytes saved');
  // Against the tracker's own lists.
  const blobs = await c.blobs();
  const links = await c.links();
  const unique = blobs.reduce((s, b) => s + b.size, 0);
  const logical = links.reduce((s, l) => s + l.size, 0);
  t.equal(after.blobs, blobs.length);
  t.equal(after.links, links.length);
  t.equal(after.logicalBytes, logical, 'logicalBytes = sum of link sizes');
  t.equal(after.bytesSavedByDedup, logical - unique, 'saved = logical − unique');
  t.equal(after.bytesStored, blobs.reduce((s, b) => s + b.size * b.nodes.length, 0), 'bytesStored = size × copies');
  t.equal(after.nodesUp, c.nodes.length);
  t.equal(after.nodesDown, 0);
});
