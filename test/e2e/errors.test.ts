// Failure paths against a real cluster: every refusal has its status and
// JSON error code, and no failed or interrupted upload leaves anything behind
// (no temp folder, no blob folder, no blob or link at the tracker).
import t, { type Test } from 'tap';
import { join } from 'node:path';
import type { UploadResult } from '../../common/protocol/types.js';
import { AUTH_HEADER, TRACKER } from '../../common/protocol/routes.js';
import { clusterAuth, signClaims, signUploadUrl, signUrl } from '../../common/sign.js';
import { claimsOf } from '../../common/protocol/download-policy.js';
import { useCluster, type Cluster, type ClusterNode } from '../helpers/cluster.js';
import { blobIdsOnDisk, listDir, listFiles, makeRandomFile, sha256, sha256File, tempDir } from '../helpers/files.js';
import { chunkOf, curl, curlJson, errorCode, http, isErrorBody, RawHttp, requestHead, resolveLink } from '../helpers/http.js';
import { describeRun, sleep, waitFor } from '../helpers/proc.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

const KiB = 1024;
const MAX = 1024 * KiB; // --max-upload-size of the tracker and the node
const c: Cluster = await useCluster(t, {
  nodes: [{ zone: 'a' }],
  chunkSize: 64 * KiB,
  trackerArgs: ['--max-upload-size', String(MAX)],
  nodeArgs: ['--max-upload-size', String(MAX)],
});
const node = c.nodes[0]!;
const work = await tempDir();
t.teardown(work.cleanup);

const unixNow = () => Math.floor(Date.now() / 1000);

/** What a refused or broken upload must not leave: temp folders, blob folders, blobs or links at the tracker. */
async function residue(n: ClusterNode, cl: Cluster = c) {
  return {
    tmp: await listDir(join(n.dataDir, 'tmp')),
    blobs: await blobIdsOnDisk(n.dataDir),
    trackerBlobs: (await cl.blobs()).length,
    trackerLinks: (await cl.links()).length,
  };
}

async function expectNothingKept(t: Test, n: ClusterNode, before: Awaited<ReturnType<typeof residue>>, cl: Cluster = c): Promise<void> {
  // Cleanup may finish just after the answer: give it a moment.
  await waitFor('data/tmp to be empty', async () => (await listDir(join(n.dataDir, 'tmp'))).length === 0, 5_000).catch(() => undefined);
  const after = await residue(n, cl);
  t.same(after.tmp, [], 'nothing left in data/tmp');
  t.same(after.blobs, before.blobs, 'no new blob folder');
  t.equal(after.trackerBlobs, before.trackerBlobs, 'no new blob at the tracker');
  t.equal(after.trackerLinks, before.trackerLinks, 'no new link at the tracker');
}

function expectError(t: Test, r: { status: number; text: string }, status: number, code: string | string[], what: string): void {
  t.equal(r.status, status, `${what}: status ${status} (body ${r.text.slice(0, 200)})`);
  const codes = Array.isArray(code) ? code : [code];
  t.ok(codes.includes(errorCode(r.text) ?? ''), `${what}: code ${codes.join('|')} (got ${errorCode(r.text)})`);
  t.ok(isErrorBody(r.text), `${what}: JSON {error:{code,message}}`);
}

// A blob every test can download.
const small = await makeRandomFile(join(work.dir, 'small.bin'), 100_000);
const smallUp = await curlJson<UploadResult>(['-L', '-T', small.path, `${c.trackerUrl}/upload/small.bin`]);
if (smallUp.status !== 201 || !smallUp.json) throw new Error(`setup upload failed: ${smallUp.status} ${smallUp.text} ${describeRun(smallUp.run)}`);
const smallLink = smallUp.json.link;

t.test('unknown or malformed link → 404 LINK_NOT_FOUND', async (t) => {
  expectError(t, await http(`${c.trackerUrl}/f/AAAAAAAAAAAAAAAAAAAAAA`), 404, 'LINK_NOT_FOUND', 'unknown link');
  expectError(t, await http(`${c.trackerUrl}/f/not%20a%20link!`), 404, 'LINK_NOT_FOUND', 'malformed link');
  expectError(t, await http(`${c.trackerUrl}/api/links/AAAAAAAAAAAAAAAAAAAAAA`), 404, 'LINK_NOT_FOUND', 'unknown link info');
  const head = await http(`${c.trackerUrl}/f/AAAAAAAAAAAAAAAAAAAAAA`, { method: 'HEAD' });
  t.equal(head.status, 404, 'HEAD on an unknown link');
  t.equal(head.body.length, 0);
});

t.test('the cluster page refuses a visitor who is not an administrator → 403', async (t) => {
  expectError(t, await http(`${c.trackerUrl}/admin`), 403, 'ADMIN_ONLY', 'a script gets the JSON error');
  const page = await http(`${c.trackerUrl}/admin`, { headers: { accept: 'text/html' } });
  t.equal(page.status, 403, 'a browser gets the same status');
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body.toString(), /Administrators only/, 'and the refusal in words');
  t.notMatch(page.body.toString(), /Storage nodes/, 'no cluster figure leaks');
});

t.test('altered, missing or expired signatures on the node → 403', async (t) => {
  const good = await resolveLink(smallLink);
  t.equal((await http(good)).status, 200, 'the real redirect works');
  const alter = (edit: (u: URL) => void): string => {
    const u = new URL(good);
    edit(u);
    return u.toString();
  };
  const sig = new URL(good).searchParams.get('sig')!;
  const exp = Number(new URL(good).searchParams.get('exp'));
  const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);

  const invalid: [string, string][] = [
    ['one character of sig changed', alter((u) => u.searchParams.set('sig', flipped))],
    ['sig removed', alter((u) => u.searchParams.delete('sig'))],
    ['exp pushed later', alter((u) => u.searchParams.set('exp', String(exp + 3600)))],
    ['exp removed', alter((u) => u.searchParams.delete('exp'))],
    ['name changed', alter((u) => u.searchParams.set('name', 'evil.exe'))],
    ['name removed', alter((u) => u.searchParams.delete('name'))],
    ['link changed', alter((u) => u.searchParams.set('link', 'A'.repeat(22)))],
    ['link removed', alter((u) => u.searchParams.delete('link'))],
    ['other blob id', alter((u) => (u.pathname = '/blob/' + 'f'.repeat(64)))],
  ];
  for (const [what, url] of invalid) expectError(t, await http(url), 403, 'TOKEN_INVALID', what);
  const headBad = await http(invalid[0]![1], { method: 'HEAD' });
  t.equal(headBad.status, 403, 'HEAD with a bad signature');

  // Correctly signed but in the past: expired, not invalid.
  const blobId = new URL(good).pathname.split('/').pop()!;
  const past = unixNow() - 60;
  const expired = alter((u) => {
    u.searchParams.set('exp', String(past));
    u.searchParams.set('sig', signClaims(c.secret, { verb: 'GET', resource: blobId, exp: past, extra: 'small.bin', link: u.searchParams.get('link') ?? '', policy: claimsOf(u.searchParams) ?? undefined }));
  });
  expectError(t, await http(expired), 403, 'TOKEN_EXPIRED', 'expired download URL');

  // Upload URLs: the name is signed; an expired one is refused.
  const target = await c.api<{ url: string }>('POST', TRACKER.uploadTarget, { filename: 'x.bin' });
  const renamed = target.url.replace('/upload/x.bin?', '/upload/y.bin?');
  expectError(t, await http(renamed, { method: 'PUT', body: 'hello' }), 403, 'TOKEN_INVALID', 'upload URL with another name');
  const oldPut = signUploadUrl(c.secret, `${node.directUrl}/upload/x.bin`, 'x.bin', past, { uploadId: 'A'.repeat(22), node: node.id, size: undefined });
  expectError(t, await http(oldPut, { method: 'PUT', body: 'hello' }), 403, 'TOKEN_EXPIRED', 'expired upload URL');
  const getAsPut = good.replace('/blob/', '/upload/');
  t.ok([403, 404, 405].includes((await http(getAsPut, { method: 'PUT', body: 'x' })).status), 'a download signature does not open an upload');
});

t.test('Expect: 100-continue: a bad signature is refused before the body, a good one continues', async (t) => {
  const before = await residue(node);
  const bad = await RawHttp.connect(node.port);
  t.teardown(() => bad.destroy());
  const badUrl = c.signUpload(node, 'cont.bin').replace(/sig=[^&]+/, 'sig=AAAA');
  await bad.write(requestHead('PUT', badUrl, { 'content-length': 1000, expect: '100-continue' }));
  const first = await bad.interim(5_000);
  t.equal(first?.status, 403, 'refused without a 100 Continue');

  const good = await RawHttp.connect(node.port);
  t.teardown(() => good.destroy());
  const body = Buffer.alloc(1000, 7);
  await good.write(requestHead('PUT', c.signUpload(node, 'cont.bin'), { 'content-length': body.length, expect: '100-continue' }));
  const go = await good.interim(5_000);
  t.equal(go?.status, 100, '100 Continue for a valid URL');
  await good.write(body);
  const done = await good.response(10_000);
  t.equal(done.status, 201, `upload after 100 Continue: ${done.body.toString().slice(0, 200)}`);
  t.equal((JSON.parse(done.body.toString()) as UploadResult).sha256, sha256(body));
  t.equal((await c.blobs()).length, before.trackerBlobs + 1);
});

t.test('unsatisfiable range → 416 with Content-Range bytes */size', async (t) => {
  const url = await resolveLink(smallLink);
  const r = await http(url, { headers: { range: `bytes=${small.size + 10}-${small.size + 20}` } });
  expectError(t, r, 416, 'RANGE_NOT_SATISFIABLE', 'range past the end');
  t.equal(r.headers['content-range'], `bytes */${small.size}`);
  const unknown = signUrl(c.secret, `${node.directUrl}/blob/${'e'.repeat(64)}`, { verb: 'GET', resource: 'e'.repeat(64), exp: unixNow() + 60, extra: 'n.bin' });
  expectError(t, await http(unknown), 404, 'BLOB_NOT_FOUND', 'a validly signed URL for a blob the node lacks');
});

t.test('uploads over --max-upload-size → 413, nothing kept', async (t) => {
  const before = await residue(node);

  // The tracker refuses a declared length over its limit (no body sent).
  const tr = await RawHttp.connect(c.tracker.port);
  t.teardown(() => tr.destroy());
  await tr.write(requestHead('PUT', `${c.trackerUrl}/upload/huge.bin`, { 'content-length': MAX + 1 }));
  const trAns = await tr.response();
  expectError(t, { status: trAns.status, text: trAns.body.toString() }, 413, 'PAYLOAD_TOO_LARGE', 'tracker, Content-Length over the limit');
  expectError(t, await http(`${c.trackerUrl}${TRACKER.uploadTarget}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filename: 'huge.bin', size: MAX + 1 }),
  }), 413, 'PAYLOAD_TOO_LARGE', '/api/uploads with a size over the limit');

  // The node refuses a declared length over its limit from the headers alone.
  const nd = await RawHttp.connect(node.port);
  t.teardown(() => nd.destroy());
  await nd.write(requestHead('PUT', c.signUpload(node, 'huge.bin'), { 'content-length': MAX + 1 }));
  const ndAns = await nd.response();
  expectError(t, { status: ndAns.status, text: ndAns.body.toString() }, 413, 'PAYLOAD_TOO_LARGE', 'node, Content-Length over the limit');

  // A chunked body has no declared length: the node counts while reading.
  const ch = await RawHttp.connect(node.port);
  t.teardown(() => ch.destroy());
  await ch.write(requestHead('PUT', c.signUpload(node, 'chunked.bin'), { 'transfer-encoding': 'chunked' }));
  const piece = Buffer.alloc(64 * KiB, 1);
  let sent = 0;
  while (sent < 3 * MAX && ch.responses.length === 0 && !ch.closed) {
    if (!(await ch.write(chunkOf(piece)))) break;
    sent += piece.length;
  }
  const chAns = await ch.response();
  expectError(t, { status: chAns.status, text: chAns.body.toString() }, 413, 'PAYLOAD_TOO_LARGE', `chunked body over the limit (${sent} bytes sent)`);

  await expectNothingKept(t, node, before);
});

t.test('a body shorter than its Content-Length leaves nothing', async (t) => {
  const before = await residue(node);
  const conn = await RawHttp.connect(node.port);
  await conn.write(requestHead('PUT', c.signUpload(node, 'short.bin'), { 'content-length': 1_000_000 }));
  await conn.write(Buffer.alloc(1000, 3));
  const started = await waitFor('the upload to start in data/tmp', async () => (await listDir(join(node.dataDir, 'tmp'))).length > 0, 5_000, 20).catch(() => false);
  t.ok(started, 'the node had started storing the body');
  await sleep(100);
  conn.destroy();
  await expectNothingKept(t, node, before);
});

t.test('an upload without Content-Length or chunked encoding → 411', async (t) => {
  const conn = await RawHttp.connect(node.port);
  t.teardown(() => conn.destroy());
  await conn.write(requestHead('PUT', c.signUpload(node, 'nolength.bin'), {}));
  const r = await conn.response();
  expectError(t, { status: r.status, text: r.body.toString() }, 411, 'LENGTH_REQUIRED', 'no length');
});

t.test('internal routes need the cluster credential → 401', async (t) => {
  const wrong = 'another-secret-0123456789abcdef';
  const routes: [string, string, unknown][] = [
    ['POST', TRACKER.register, { id: 'intruder', zone: 'z', publicUrl: 'http://127.0.0.1:1', freeBytes: 1e12, totalBytes: 1e12 }],
    ['POST', TRACKER.heartbeat, { id: 'intruder', freeBytes: 1, totalBytes: 1, load: 0, blobCount: 0 }],
    ['POST', TRACKER.commit, { nodeId: 'intruder', filename: 'x', manifest: {} }],
    ['GET', TRACKER.adminNodes, undefined],
    ['GET', TRACKER.adminBlobs, undefined],
    ['GET', TRACKER.adminLinks, undefined],
    ['GET', TRACKER.adminStats, undefined],
  ];
  for (const [method, path, body] of routes) {
    const opts = (auth?: string) => ({
      method,
      headers: { 'content-type': 'application/json', ...(auth ? { [AUTH_HEADER]: auth } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expectError(t, await http(c.trackerUrl + path, opts()), 401, 'UNAUTHORIZED', `${method} ${path} without a credential`);
    expectError(t, await http(c.trackerUrl + path, opts(clusterAuth(wrong, method, path))), 401, 'UNAUTHORIZED', `${method} ${path} with a wrong secret`);
    expectError(t, await http(c.trackerUrl + path, opts('garbage')), 401, 'UNAUTHORIZED', `${method} ${path} with a malformed credential`);
  }
  const stale = clusterAuth(c.secret, 'GET', TRACKER.adminStats, Date.now() - 3_600_000);
  expectError(t, await http(c.trackerUrl + TRACKER.adminStats, { headers: { [AUTH_HEADER]: stale } }), 401, 'UNAUTHORIZED', 'a credential an hour old');
  const otherPath = clusterAuth(c.secret, 'GET', TRACKER.adminNodes);
  expectError(t, await http(c.trackerUrl + TRACKER.adminStats, { headers: { [AUTH_HEADER]: otherPath } }), 401, 'UNAUTHORIZED', 'a credential made for another path');
  const ok = await http(c.trackerUrl + TRACKER.adminStats, { headers: { [AUTH_HEADER]: clusterAuth(c.secret, 'GET', TRACKER.adminStats) } });
  t.equal(ok.status, 200, 'the right credential is accepted');
  t.notOk((await c.nodeStatuses()).some((s) => s.id === 'intruder'), 'no node registered without the secret');
});

t.test('malformed requests and bad file names → 400', async (t) => {
  const post = (body: string) => http(`${c.trackerUrl}${TRACKER.uploadTarget}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expectError(t, await post('{"filename": '), 400, 'BAD_REQUEST', 'malformed JSON');
  expectError(t, await post('{}'), 400, ['BAD_REQUEST', 'FILENAME_INVALID'], 'no filename');
  expectError(t, await post(JSON.stringify({ filename: 'a/b.bin' })), 400, 'FILENAME_INVALID', 'a slash in the name');
  expectError(t, await post(JSON.stringify({ filename: 'a\u0000b' })), 400, 'FILENAME_INVALID', 'a NUL in the name');
  expectError(t, await post(JSON.stringify({ filename: '' })), 400, 'FILENAME_INVALID', 'an empty name');

  const put = (raw: string) => http(`${c.trackerUrl}/upload/${raw}`, { method: 'PUT', body: 'hello' });
  expectError(t, await put('a%2Fb.bin'), 400, 'FILENAME_INVALID', 'encoded slash');
  expectError(t, await put('a%00b.bin'), 400, 'FILENAME_INVALID', 'encoded NUL');
  expectError(t, await put('a'.repeat(256)), 400, 'FILENAME_INVALID', '256 bytes');
  expectError(t, await put(encodeURIComponent('é'.repeat(128))), 400, 'FILENAME_INVALID', '128 × é = 256 UTF-8 bytes');
  expectError(t, await put('bad%E0%A4%A'), 400, ['BAD_REQUEST', 'FILENAME_INVALID'], 'broken percent-encoding');
  const longest = await put('a'.repeat(255));
  t.equal(longest.status, 307, '255 bytes is still a valid name');
});

t.test('a full disk → 507, nothing partial, the node keeps serving', async (t) => {
  const mnt = await mountTmpfs(t, '8m');
  if (typeof mnt !== 'string') {
    t.plan(0, mnt.skip);
    return;
  }
  const fc = await useCluster(t, { nodes: [{ zone: 'f', dataDir: mnt, args: ['--reserve', '0'] }], chunkSize: 256 * KiB });
  const fnode = fc.nodes[0]!;

  // A small blob stored before the disk fills.
  const earlier = await curlJson<UploadResult>(['-T', small.path, fc.signUpload(fnode, 'earlier.bin')]);
  t.equal(earlier.status, 201, `earlier upload: ${earlier.text.slice(0, 200)}`);
  const before = await residue(fnode, fc);

  const big = await makeRandomFile(join(work.dir, 'sixteen.bin'), 16 << 20);
  const declared = await curlJson<UploadResult>(['-T', big.path, fc.signUpload(fnode, 'sixteen.bin')], 60_000);
  expectError(t, declared, 507, 'INSUFFICIENT_STORAGE', 'a declared 16 MiB body on an 8 MiB disk');
  await expectNothingKept(t, fnode, before, fc);

  // No declared length and no reserve: the disk really fills (ENOSPC) while writing.
  const conn = await RawHttp.connect(fnode.port);
  t.teardown(() => conn.destroy());
  await conn.write(requestHead('PUT', fc.signUpload(fnode, 'sixteen-chunked.bin'), { 'transfer-encoding': 'chunked' }));
  const piece = Buffer.alloc(256 * KiB);
  let sent = 0;
  while (sent < big.size && conn.responses.length === 0 && !conn.closed) {
    piece.fill(sent & 0xff);
    if (!(await conn.write(chunkOf(piece)))) break;
    sent += piece.length;
  }
  if (conn.responses.length === 0 && !conn.closed) await conn.write(chunkOf(Buffer.alloc(0)));
  const full = await conn.response(20_000);
  expectError(t, { status: full.status, text: full.body.toString() }, 507, 'INSUFFICIENT_STORAGE', `a chunked body filling the disk (${sent} bytes sent)`);
  await expectNothingKept(t, fnode, before, fc);
  t.same(await listFiles(join(mnt, 'tmp')), [], 'no partial chunk files');

  const out = join(work.dir, 'earlier.out');
  const got = await curl(['-L', '-o', out, '-w', '%{http_code}', earlier.json?.link ?? '']);
  t.equal(got.stdout, '200', 'the earlier blob still downloads');
  t.equal(await sha256File(out), small.sha256, 'byte-identical');
  const after = await curlJson<UploadResult>(['-T', small.path, fc.signUpload(fnode, 'after.bin')]);
  t.equal(after.status, 201, 'the node takes uploads again once the failed one is gone');
});

t.test('a node killed mid-upload: no blob, no link; its restart empties data/tmp', async (t) => {
  const before = await residue(node);
  const conn = await RawHttp.connect(node.port);
  t.teardown(() => conn.destroy());
  await conn.write(requestHead('PUT', c.signUpload(node, 'killed.bin'), { 'content-length': 900 * KiB }));
  const tmp = join(node.dataDir, 'tmp');
  let sent = 0;
  const piece = Buffer.alloc(16 * KiB, 9);
  // Stream slowly until a chunk file exists in data/tmp.
  await waitFor(
    'a chunk file in data/tmp',
    async () => {
      if (sent < 800 * KiB && (await conn.write(piece))) sent += piece.length;
      return (await listFiles(tmp)).length > 0;
    },
    10_000,
    20,
  );
  t.ok(sent < 900 * KiB, `upload in flight (${sent} of ${900 * KiB} bytes sent)`);
  await node.kill('SIGKILL');
  conn.destroy();
  t.ok((await listFiles(tmp)).length > 0, 'the killed upload left files in data/tmp');
  const mid = await residue(node);
  t.same(mid.blobs, before.blobs, 'no blob folder');
  t.equal(mid.trackerBlobs, before.trackerBlobs, 'no blob at the tracker');
  t.equal(mid.trackerLinks, before.trackerLinks, 'no link at the tracker');

  await node.restart();
  t.same(await listDir(tmp), [], 'data/tmp emptied at start');
  const out = join(work.dir, 'after-restart.out');
  const got = await curl(['-L', '-o', out, '-w', '%{http_code}', smallLink]);
  t.equal(got.stdout, '200', 'earlier blob served after the restart');
  t.equal(await sha256File(out), small.sha256);
});
