// The tracker's HTTP surface in-process: auth on internal routes, field checks,
// redirects, signed URLs, Expect: 100-continue, and stats.
import { createHash } from 'node:crypto';
import { createServer as httpServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { createServer, listen } from '../../../common/http.js';
import { AUTH_HEADER } from '../../../common/protocol/routes.js';
import { type BlobManifest, type ClusterStats, type CommitResponse, type LinkInfo, type NodeStatus, type UploadTarget } from '../../../common/protocol/types.js';
import { clusterAuth, verifyClaims, verifyUploadUrl } from '../../../common/sign.js';
import { claimsOf } from '../../../common/protocol/download-policy.js';
import { composeTracker } from '../../../tracker/compose.js';
import { trackerSpec, type TrackerConfig } from '../../../tracker/config.js';
import { resolveCaller } from '../../../tracker/http/caller.js';
import { bindRoutes, trackerRouter } from '../../../tracker/server.js';

const SECRET = 'test-secret-0123456789';
const GiB = 1024 ** 3;
let clock = Date.now();
const now = () => clock;

const log = pino({ level: 'silent' });
const defaults = Object.fromEntries(Object.entries(trackerSpec).map(([k, f]) => [k, f.default])) as unknown as TrackerConfig;
const config: TrackerConfig = Object.freeze({
  ...defaults,
  data: t.testdir(), port: 0, host: '127.0.0.1', publicUrl: '', secret: SECRET, urlTtl: 600, nodeDownAfter: 6_000, maxUploadSize: 100 * GiB,
  uploadMargin: 64 * 1024 ** 2, gcSchedule: '0 0 1 1 *', gcGrace: 86_400, repairSchedule: '0 0 1 1 *', fsckSchedule: '0 0 1 1 *',
  // One copy wanted: a duplicate upload's copy is kept only when no live node holds the blob.
  replicas: 1,
  // The cluster's limit alone: these tests reach placement with sizes past the tiers' (e2e/accounts checks those).
  uploadLimitAnonymous: 0,
});
const tracker = await composeTracker(config, { log, now, random: () => 0.5 });
const { ctx } = tracker;
const port = await tracker.listen();
const base = `http://127.0.0.1:${port}`;
t.teardown(() => tracker.close());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

async function call(method: string, path: string, opts: { body?: unknown; raw?: string; auth?: boolean | string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (opts.auth === true) headers[AUTH_HEADER] = clusterAuth(SECRET, method, path, Date.now(), body);
  else if (typeof opts.auth === 'string') headers[AUTH_HEADER] = opts.auth;
  const res = await request(base + path, { method: method as 'GET', headers, body, reset: true });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

const codeOf = (a: Answer) => (a.json as { error?: { code?: string } } | undefined)?.error?.code;

async function expectError(t: Test, a: Promise<Answer>, status: number, code: string, what: string): Promise<void> {
  const r = await a;
  t.equal(r.status, status, `${what}: status`);
  t.equal(codeOf(r), code, `${what}: ${r.text.slice(0, 120)}`);
}

/** Sends a raw request head and returns what arrives until the server closes or 1 s of quiet. */
async function rawHead(text: string): Promise<string> {
  const sock = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write(text);
  return new Promise<string>((resolve) => {
    let acc = '';
    let quiet = setTimeout(done, 1000);
    function done() {
      sock.destroy();
      resolve(acc);
    }
    sock.on('data', (d: Buffer) => {
      acc += d.toString('latin1');
      clearTimeout(quiet);
      quiet = setTimeout(done, 300);
    });
    sock.on('close', () => {
      clearTimeout(quiet);
      resolve(acc);
    });
    sock.on('error', () => undefined);
  });
}

const hex = (algo: string, s: string) => createHash(algo).update(s).digest('hex');
function manifest(seed: string, size: number): BlobManifest {
  const CHUNK = 65536;
  const n = Math.ceil(size / CHUNK);
  const sha256 = hex('sha256', seed);
  return { id: sha256, md5: hex('md5', seed), sha256, size, chunkSize: CHUNK, chunks: Array.from({ length: n }, (_, i) => ({ size: i < n - 1 ? CHUNK : size - CHUNK * i, sha256: hex('sha256', seed + i) })) };
}

const reg = (id: string, zone: string, freeBytes = 50 * GiB) => ({ id, zone, publicUrl: `http://127.0.0.1:1/${id}/`, freeBytes, totalBytes: 100 * GiB });

t.test('health, unknown paths, wrong methods', async (t) => {
  const h = await call('GET', '/health');
  t.equal(h.status, 200);
  t.same(h.json, { ok: true });
  await expectError(t, call('GET', '/nope'), 404, 'NOT_FOUND', 'unknown path');
  const wrong = await call('DELETE', '/health');
  t.equal(wrong.status, 405);
  t.equal(codeOf(wrong), 'METHOD_NOT_ALLOWED');
  t.equal(wrong.headers.allow, 'GET, HEAD');
});

t.test('internal routes need the cluster credential', async (t) => {
  const routes: Array<[string, string]> = [
    ['POST', '/internal/nodes/register'],
    ['POST', '/internal/nodes/heartbeat'],
    ['POST', '/internal/commit'],
    ['GET', '/internal/admin/nodes'],
    ['GET', '/internal/admin/blobs'],
    ['GET', '/internal/admin/links'],
    ['GET', '/internal/admin/stats'],
    ['GET', '/internal/whatever'],
  ];
  for (const [m, p] of routes) {
    await expectError(t, call(m, p, { body: reg('evil', 'z') }), 401, 'UNAUTHORIZED', `${m} ${p} without credential`);
    await expectError(t, call(m, p, { body: reg('evil', 'z'), auth: clusterAuth('another-secret-xxxxxxx', m, p) }), 401, 'UNAUTHORIZED', `${m} ${p} wrong secret`);
    await expectError(t, call(m, p, { auth: clusterAuth(SECRET, m, '/internal/admin/stats-other') }), 401, 'UNAUTHORIZED', `${m} ${p} credential for another path`);
    await expectError(t, call(m, p, { auth: 'garbage' }), 401, 'UNAUTHORIZED', `${m} ${p} garbage credential`);
  }
  await expectError(t, call('GET', '/internal/admin/stats', { auth: clusterAuth(SECRET, 'GET', '/internal/admin/stats', Date.now() - 3_600_000) }), 401, 'UNAUTHORIZED', 'stale credential');
  // A captured credential replayed with another body: the digest binds the body.
  const captured = clusterAuth(SECRET, 'POST', '/internal/nodes/register', Date.now(), JSON.stringify(reg('good', 'a')));
  await expectError(t, call('POST', '/internal/nodes/register', { body: reg('evil', 'z'), auth: captured }), 401, 'UNAUTHORIZED', 'credential replayed with another body');
  t.same((await call('GET', '/internal/admin/nodes', { auth: true })).json, [], 'nothing registered by the refused calls');
  const q = '/internal/admin/blobs?limit=5';
  await expectError(t, call('GET', q, { auth: clusterAuth(SECRET, 'GET', '/internal/admin/blobs') }), 401, 'UNAUTHORIZED', 'query not covered');
  t.equal((await call('GET', q, { auth: true })).status, 200);
});

t.test('no node yet: uploads get 503', async (t) => {
  await expectError(t, call('PUT', '/upload/a.bin'), 503, 'NO_NODE_AVAILABLE', 'PUT upload');
  await expectError(t, call('POST', '/api/uploads', { body: { filename: 'a.bin' } }), 503, 'NO_NODE_AVAILABLE', 'POST uploads');
});

t.test('register and heartbeat: hostile bodies are refused field by field', async (t) => {
  const bad: Array<[string, string, unknown, number, string]> = [
    ['register', 'not JSON', '{', 400, 'BAD_REQUEST'],
    ['register', 'array', [], 400, 'BAD_REQUEST'],
    ['register', 'null', null, 400, 'BAD_REQUEST'],
    ['register', 'missing id', { ...reg('x', 'z'), id: undefined }, 400, 'BAD_REQUEST'],
    ['register', 'id with a slash', reg('a/b', 'z'), 400, 'BAD_REQUEST'],
    ['register', 'id too long', reg('a'.repeat(65), 'z'), 400, 'BAD_REQUEST'],
    ['register', 'zone with a space', reg('x', 'a b'), 400, 'BAD_REQUEST'],
    ['register', 'ftp URL', { ...reg('x', 'z'), publicUrl: 'ftp://h/' }, 400, 'BAD_REQUEST'],
    ['register', 'URL with credentials', { ...reg('x', 'z'), publicUrl: 'http://u:p@h/' }, 400, 'BAD_REQUEST'],
    ['register', 'URL with a query', { ...reg('x', 'z'), publicUrl: 'http://h/?a=1' }, 400, 'BAD_REQUEST'],
    ['register', 'free > total', { ...reg('x', 'z'), freeBytes: 2, totalBytes: 1 }, 400, 'BAD_REQUEST'],
    ['register', 'negative bytes', { ...reg('x', 'z'), freeBytes: -1 }, 400, 'BAD_REQUEST'],
    ['register', 'bytes as a string', { ...reg('x', 'z'), totalBytes: '100' }, 400, 'BAD_REQUEST'],
    ['register', 'bytes past 2^53', { ...reg('x', 'z'), totalBytes: 2 ** 60 }, 400, 'BAD_REQUEST'],
    ['register', 'huge body', { ...reg('x', 'z'), pad: 'x'.repeat(100_000) }, 413, 'PAYLOAD_TOO_LARGE'],
    ['heartbeat', 'unknown node', { id: 'ghost', freeBytes: 1, totalBytes: 2, load: 0, blobCount: 0 }, 404, 'NODE_NOT_FOUND'],
    ['heartbeat', 'fractional load', { id: 'ghost', freeBytes: 1, totalBytes: 2, load: 0.5, blobCount: 0 }, 400, 'BAD_REQUEST'],
    ['heartbeat', 'missing blobCount', { id: 'ghost', freeBytes: 1, totalBytes: 2, load: 0 }, 400, 'BAD_REQUEST'],
  ];
  for (const [what, name, body, status, code] of bad) {
    const path = `/internal/nodes/${what}`;
    const opts = typeof body === 'string' ? { raw: body, auth: true } : { body, auth: true };
    await expectError(t, call('POST', path, opts), status, code, `${what}: ${name}`);
  }
  t.same((await call('GET', '/internal/admin/nodes', { auth: true })).json, []);
});

t.test('nodes register, beat, and are listed with their state', async (t) => {
  for (const r of [reg('na', 'za'), reg('nb', 'zb')]) {
    const a = await call('POST', '/internal/nodes/register', { body: r, auth: true });
    t.equal(a.status, 200, a.text);
  }
  const hb = await call('POST', '/internal/nodes/heartbeat', { body: { id: 'na', freeBytes: 40 * GiB, totalBytes: 100 * GiB, load: 3, blobCount: 0 }, auth: true });
  t.equal(hb.status, 200);
  const list = (await call('GET', '/internal/admin/nodes', { auth: true })).json as NodeStatus[];
  t.same(list.map((n) => [n.id, n.zone, n.state, n.publicUrl]), [
    ['na', 'za', 'up', 'http://127.0.0.1:1/na'],
    ['nb', 'zb', 'up', 'http://127.0.0.1:1/nb'],
  ]);
  t.equal(list[0]!.load, 3);
  t.equal(list[0]!.freeBytes, 40 * GiB);
});

t.test('a node whose disk less its reserve is not above the upload margin is listed as one that can never take an upload', async (t) => {
  const again = await call('POST', '/internal/nodes/register', { body: reg('nb', 'zb'), auth: true });
  t.equal((again.json as { uploadMargin?: number }).uploadMargin, 64 * 1024 ** 2, 'the registration answer tells the node the margin');
  const beat = (reserveBytes: number) =>
    call('POST', '/internal/nodes/heartbeat', { body: { id: 'nb', freeBytes: 50 * GiB, totalBytes: 100 * GiB, load: 0, blobCount: 0, reserveBytes }, auth: true });
  const nb = async () => ((await call('GET', '/internal/admin/nodes', { auth: true })).json as NodeStatus[]).find((n) => n.id === 'nb')!;
  t.equal((await beat(100 * GiB - 64 * 1024 ** 2)).status, 200);
  t.equal((await nb()).tooSmall, true, 'reserve + margin = the disk: never');
  t.equal((await nb()).reserveBytes, 100 * GiB - 64 * 1024 ** 2);
  await beat(100 * GiB - 65 * 1024 ** 2);
  t.equal((await nb()).tooSmall, undefined, 'a MiB above the margin: it can');
  await beat(0);
});

t.test('PUT /upload/<name> → 307 to a signed node URL', async (t) => {
  const r = await call('PUT', `/upload/${encodeURIComponent('report é.pdf')}`, { raw: 'some body', headers: { 'content-type': 'application/octet-stream' } });
  t.equal(r.status, 307, r.text);
  const loc = String(r.headers.location);
  t.same(r.json, { url: loc });
  t.equal(r.headers.connection, 'close', 'a body it did not read closes the connection');
  const u = new URL(loc);
  t.match(u.pathname, /^\/(na|nb)\/upload\/report%20%C3%A9\.pdf$/);
  const bound = verifyUploadUrl(SECRET, u, 'report é.pdf', clock);
  t.match(bound, { node: /^(na|nb)$/, size: 'some body'.length }, 'bound to the chosen node and the declared size');
  t.equal(u.pathname.split('/')[1], bound.node);
  t.equal(Number(u.searchParams.get('exp')), Math.floor(clock / 1000) + 600);
});

t.test('upload names and sizes are checked', async (t) => {
  const names = ['', '%00', 'a%2Fb', '%FF', '%E0%A4', 'x'.repeat(256), '%C3%A9'.repeat(128)];
  for (const n of names) await expectError(t, call('PUT', `/upload/${n}`), 400, 'FILENAME_INVALID', `name ${n.slice(0, 20)}`);
  t.equal((await call('PUT', `/upload/${'x'.repeat(255)}`)).status, 307, '255 bytes is fine');
  const big = await rawHead(`PUT /upload/big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: ${100 * GiB + 1}\r\nExpect: 100-continue\r\n\r\n`);
  t.match(big, /^HTTP\/1\.1 413 [^]*PAYLOAD_TOO_LARGE/, 'declared size over the limit');
  const full = await rawHead(`PUT /upload/full.bin HTTP/1.1\r\nHost: x\r\nContent-Length: ${60 * GiB}\r\nExpect: 100-continue\r\n\r\n`);
  t.match(full, /^HTTP\/1\.1 503 [^]*NO_NODE_AVAILABLE/, 'no node has the space');
  t.notMatch(full.slice(full.indexOf('{')), /\d/, 'the refusal tells no free bytes');
  const huge = await rawHead('PUT /upload/huge.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\nExpect: 100-continue\r\n\r\n');
  t.match(huge, /^HTTP\/1\.1 (400|413) /, 'absurd Content-Length refused');
  await expectError(t, call('GET', '/upload/a.bin'), 405, 'METHOD_NOT_ALLOWED', 'GET on upload');
  // tus creation runs the same name check.
  for (const n of ['.', '..', 'a/b']) {
    const meta = `filename ${Buffer.from(n).toString('base64')}`;
    await expectError(t, call('POST', '/files', { headers: { 'tus-resumable': '1.0.0', 'upload-length': '5', 'upload-metadata': meta } }), 400, 'FILENAME_INVALID', `tus name ${n}`);
  }
});

t.test('Expect: 100-continue gets the 307 before any body is sent', async (t) => {
  const head = await rawHead('PUT /upload/expect.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n');
  t.match(head, /^HTTP\/1\.1 307 /, 'first status line is the redirect, no 100 Continue');
  t.match(head, /\r\nlocation: [^\r]*\/upload\/expect\.bin\?exp=\d+&uid=[\w-]{22}&node=\w+&size=5000000&sig=/i);
  t.match(head, /\r\nconnection: close\r\n/i);
});

t.test('Expect: 100-continue on a JSON route is invited only after the checks', async (t) => {
  const body = JSON.stringify({ filename: 'e.bin', size: 10 });
  const ok = await rawHead(`POST /api/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
  t.match(ok, /^HTTP\/1\.1 100 Continue/, 'a request that passes the checks is invited');
  const refused = await rawHead('POST /internal/commit HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n');
  t.match(refused, /^HTTP\/1\.1 401 /, 'refused before the body');
  t.match(refused, /\r\nconnection: close\r\n/i);
});

t.test('POST /api/uploads', async (t) => {
  const r = await call('POST', '/api/uploads', { body: { filename: 'x.iso', size: GiB } });
  t.equal(r.status, 200);
  const target = r.json as UploadTarget;
  t.ok(['na', 'nb'].includes(target.node));
  t.match(target.url, /\/upload\/x\.iso\?exp=\d+&uid=[\w-]{22}&node=\w+&(size=\d+&)?sig=/);
  t.equal(target.expires, Math.floor(clock / 1000) + 600);
  const bad: Array<[unknown, number, string]> = [
    [{}, 400, 'FILENAME_INVALID'],
    [{ filename: 7 }, 400, 'FILENAME_INVALID'],
    [{ filename: 'a/b' }, 400, 'FILENAME_INVALID'],
    [{ filename: 'a\0b' }, 400, 'FILENAME_INVALID'],
    [{ filename: '\ud800' }, 400, 'FILENAME_INVALID'],
    [{ filename: '.' }, 400, 'FILENAME_INVALID'],
    [{ filename: '..' }, 400, 'FILENAME_INVALID'],
    [{ filename: 'a', size: -1 }, 400, 'BAD_REQUEST'],
    [{ filename: 'a', size: '5' }, 400, 'BAD_REQUEST'],
    [{ filename: 'a', size: 1e300 }, 400, 'BAD_REQUEST'],
    [{ filename: 'a', size: 100 * GiB + 1 }, 413, 'PAYLOAD_TOO_LARGE'],
    ['str', 400, 'BAD_REQUEST'],
  ];
  for (const [body, status, code] of bad) await expectError(t, call('POST', '/api/uploads', { body }), status, code, JSON.stringify(body).slice(0, 40));
});

let linkUrl = '';
let linkId = '';
const m = manifest('content', 200_000);

t.test('commit: checks, then a link that resolves', async (t) => {
  const badCommits: Array<[string, unknown, number, string]> = [
    ['unknown node', { nodeId: 'ghost', filename: 'a', manifest: m }, 404, 'NODE_NOT_FOUND'],
    ['bad node id', { nodeId: '../x', filename: 'a', manifest: m }, 400, 'BAD_REQUEST'],
    ['bad name', { nodeId: 'na', filename: 'a/b', manifest: m }, 400, 'FILENAME_INVALID'],
    ['no manifest', { nodeId: 'na', filename: 'a' }, 400, 'BAD_REQUEST'],
    ['lying sizes', { nodeId: 'na', filename: 'a', manifest: { ...m, size: m.size + 1 } }, 400, 'BAD_REQUEST'],
    ['too big', { nodeId: 'na', filename: 'a', manifest: { ...m, size: 101 * GiB } }, 413, 'PAYLOAD_TOO_LARGE'],
  ];
  for (const [name, body, status, code] of badCommits) await expectError(t, call('POST', '/internal/commit', { body, auth: true }), status, code, name);

  const r = await call('POST', '/internal/commit', { body: { nodeId: 'na', filename: 'file one.txt', manifest: m }, auth: true });
  t.equal(r.status, 200, r.text);
  const c = r.json as CommitResponse;
  t.equal(c.dedup, false);
  t.same(c.nodes, ['na']);
  t.match(c.id, /^[A-Za-z0-9_-]{22}$/);
  t.equal(c.link, `${base}/f/${c.id}`);
  linkUrl = c.link;
  linkId = c.id;

  const again = (await call('POST', '/internal/commit', { body: { nodeId: 'nb', filename: 'two.txt', manifest: m }, auth: true })).json as CommitResponse;
  t.equal(again.dedup, true);
  t.same(again.nodes, ['na'], 'nb drops its copy: na is live');
  t.not(again.id, c.id);
});

t.test('GET|HEAD /f/<id> → 302 to a signed blob URL', async (t) => {
  const r = await call('GET', `/f/${linkId}`);
  t.equal(r.status, 302, r.text);
  const u = new URL(String(r.headers.location));
  t.equal(u.pathname, `/na/blob/${m.id}`);
  t.equal(u.searchParams.get('name'), 'file one.txt');
  t.equal(u.searchParams.get('link'), linkId, 'the link rides along (a node with a bad copy sends the reader back through it)');
  const policy = claimsOf(u.searchParams)!;
  t.equal(policy.tier, 'anonymous', 'the download policy rides along');
  t.doesNotThrow(() => verifyClaims(SECRET, { verb: 'GET', resource: m.id, exp: Number(u.searchParams.get('exp')), extra: 'file one.txt', link: linkId, policy }, u.searchParams.get('sig'), clock));
  t.throws(() => verifyClaims(SECRET, { verb: 'GET', resource: m.id, exp: Number(u.searchParams.get('exp')), extra: 'file one.txt', policy }, u.searchParams.get('sig'), clock), 'the link is signed');
  t.throws(() => verifyClaims(SECRET, { verb: 'GET', resource: m.id, exp: Number(u.searchParams.get('exp')), extra: 'file one.txt', link: linkId }, u.searchParams.get('sig'), clock), 'the policy is signed');
  t.equal(r.headers['cache-control'], 'no-store');
  const h = await call('HEAD', `/f/${linkId}`);
  t.equal(h.status, 302);
  t.equal(h.text, '');
  for (const bad of ['x', 'a'.repeat(22), '%00', 'a'.repeat(200), `${linkId}/extra`]) {
    await expectError(t, call('GET', `/f/${bad}`), 404, 'LINK_NOT_FOUND', `link ${bad.slice(0, 30)}`);
  }
  t.equal(linkUrl, `${base}/f/${linkId}`);
});

t.test('a signed download URL lives only as long as starting a download needs', async (t) => {
  const ttl = trackerSpec.urlTtl.default!;
  t.ok(ttl <= 60, `default url-ttl is ${ttl} s`);
  // The URL a link resolved to before it was deleted is refused once that time has passed.
  const u = new URL(String((await call('GET', `/f/${linkId}`)).headers.location));
  const exp = Number(u.searchParams.get('exp'));
  t.ok(exp <= Math.floor(clock / 1000) + config.urlTtl);
  t.throws(() => verifyClaims(SECRET, { verb: 'GET', resource: m.id, exp, extra: 'file one.txt', link: linkId, policy: claimsOf(u.searchParams)! }, u.searchParams.get('sig'), (exp + 1) * 1000), { code: 'TOKEN_EXPIRED' });
});

t.test('GET /api/links/<id>', async (t) => {
  const r = await call('GET', `/api/links/${linkId}`);
  t.equal(r.status, 200);
  t.same(r.json, { id: linkId, link: linkUrl, filename: 'file one.txt', size: m.size, md5: m.md5, sha256: m.sha256, created: new Date(clock).toISOString() } satisfies LinkInfo);
  await expectError(t, call('GET', '/api/links/nope'), 404, 'LINK_NOT_FOUND', 'unknown link');
});

t.test('CORS: pages of other origins may upload, resume and download, not administer', async (t) => {
  const origin = { origin: 'https://page.example' };
  const grants = (a: Answer) => a.headers['access-control-allow-origin'];
  const link = await call('GET', `/f/${linkId}`, { headers: origin });
  t.equal(link.status, 302);
  t.equal(grants(link), '*', 'any origin by default');
  for (const h of ['Location', 'Tus-Resumable', 'Upload-Offset', 'Hoard-Challenge', 'Hoard-Link']) t.match(String(link.headers['access-control-expose-headers']), h, `${h} exposed`);
  t.equal(grants(await call('GET', `/api/links/${linkId}`, { headers: origin })), '*');
  t.equal(grants(await call('GET', '/api/uploads/nope', { headers: origin })), '*', 'on errors too');
  t.equal(grants(await call('POST', '/api/uploads', { body: { filename: 'c.bin', size: 1 }, headers: origin })), '*');
  t.equal(grants(await call('PUT', '/upload/c.bin', { raw: 'x', headers: origin })), '*');
  const tus = await call('POST', '/files', { headers: { ...origin, 'tus-resumable': '1.0.0', 'upload-length': '5' } });
  t.equal(grants(tus), '*', 'tus creation (the node is a stand-in: the answer is an error)');
  t.equal(grants(await call('GET', '/internal/admin/stats', { auth: true, headers: origin })), undefined, 'no grant on admin routes');
  t.equal(grants(await call('GET', '/health', { headers: origin })), undefined, 'nor on routes a page has no use for');
  t.equal(grants(await call('DELETE', `/api/links/${linkId}`, { headers: origin })), undefined, 'nor on deleting a link');

  const preflight = (path: string, method: string, headers = 'content-type') =>
    call('OPTIONS', path, { headers: { ...origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });
  const create = await preflight('/files', 'POST', 'tus-resumable, upload-length, upload-metadata');
  t.equal(create.status, 204);
  t.equal(grants(create), '*');
  t.match(String(create.headers['access-control-allow-methods']), 'POST');
  for (const h of ['Tus-Resumable', 'Upload-Length', 'Upload-Metadata', 'Upload-Offset', 'Upload-Checksum', 'Content-Type']) t.match(String(create.headers['access-control-allow-headers']), h, `${h} allowed`);
  for (const [path, method] of [['/upload/a.bin', 'PUT'], ['/api/uploads', 'POST'], ['/api/uploads/u1', 'GET'], [`/f/${linkId}`, 'GET'], [`/api/links/${linkId}`, 'GET']] as const) {
    const p = await preflight(path, method);
    t.equal(p.status, 204, `preflight ${method} ${path}`);
    t.equal(grants(p), '*', `preflight ${method} ${path} granted`);
  }
  t.equal(grants(await preflight(`/api/links/${linkId}`, 'DELETE')), undefined, 'no grant to delete a link');
  t.equal((await preflight('/internal/admin/stats', 'GET')).status, 401, 'no preflight answer on internal routes');
  const tusOptions = await call('OPTIONS', '/files');
  t.equal(tusOptions.status, 204, 'a plain OPTIONS is still tus discovery');
  t.equal(tusOptions.headers['tus-version'], '1.0.0');

  const listed = createServer(
    (req, res, url) => trackerRouter({ secret: SECRET, corsOrigins: ['https://page.example'], metricsTokenFile: '' }, bindRoutes(ctx), resolveCaller).handle(req, res, url),
    log,
  );
  const p = await listen(listed, 0, '127.0.0.1');
  t.teardown(() => new Promise<void>((r) => listed.close(() => r())));
  const at = async (o: string) => (await request(`http://127.0.0.1:${p}/api/links/${linkId}`, { headers: { origin: o } })).headers;
  const mine = await at('https://page.example');
  t.equal(mine['access-control-allow-origin'], 'https://page.example', 'a listed origin is granted by name');
  t.equal(mine.vary, 'Origin');
  t.equal((await at('https://other.example'))['access-control-allow-origin'], undefined, 'an origin not listed is not');
});

t.test('admin lists and stats', async (t) => {
  const stats = (await call('GET', '/internal/admin/stats', { auth: true })).json as ClusterStats;
  t.same(stats, { blobs: 1, links: 2, bytesStored: m.size, logicalBytes: 2 * m.size, bytesSavedByDedup: m.size, nodesUp: 2, nodesDown: 0 });
  const blobs = (await call('GET', '/internal/admin/blobs?limit=10', { auth: true })).json as Array<{ id: string; nodes: string[]; refs: number }>;
  t.match(blobs, [{ id: m.id, nodes: ['na'], refs: 2 }]);
  const links = (await call('GET', '/internal/admin/links?limit=1', { auth: true })).json as LinkInfo[];
  t.equal(links.length, 1);
  const rest = (await call('GET', `/internal/admin/links?limit=10&after=${links[0]!.id}`, { auth: true })).json as LinkInfo[];
  t.equal(rest.length, 1);
  t.not(rest[0]!.id, links[0]!.id);
  for (const q of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1', 'after=%00', 'after=zz']) {
    const path = `/internal/admin/blobs?${q}`;
    await expectError(t, call('GET', path, { auth: true }), 400, 'BAD_REQUEST', q);
  }
});

t.test('a node that stops beating goes down; its links have no live copy', async (t) => {
  clock += 7_000;
  await call('POST', '/internal/nodes/heartbeat', { body: { id: 'nb', freeBytes: GiB, totalBytes: 100 * GiB, load: 0, blobCount: 0 }, auth: true });
  const list = (await call('GET', '/internal/admin/nodes', { auth: true })).json as NodeStatus[];
  t.same(list.map((n) => [n.id, n.state]), [['na', 'down'], ['nb', 'up']]);
  await expectError(t, call('GET', `/f/${linkId}`), 503, 'NO_LIVE_COPY', 'only holder down');
  // nb commits the same content while na is down: nb becomes a holder.
  const c = (await call('POST', '/internal/commit', { body: { nodeId: 'nb', filename: 'three.txt', manifest: m }, auth: true })).json as CommitResponse;
  t.same(c.nodes, ['na', 'nb']);
  const r = await call('GET', `/f/${linkId}`);
  t.match(String(r.headers.location), /\/nb\/blob\//);
  const stats = (await call('GET', '/internal/admin/stats', { auth: true })).json as ClusterStats;
  t.match(stats, { blobs: 1, links: 3, bytesStored: 2 * m.size, nodesUp: 1, nodesDown: 1 });
});

t.test('metrics: each request is counted under its route, tus included', async (t) => {
  await call('POST', '/files', { headers: { 'tus-resumable': '1.0.0', 'upload-length': '5' } });
  await call('GET', '/api/uploads/nope');
  const text = (await call('GET', '/metrics', { auth: true })).text;
  for (const [route, method] of [['/files', 'POST'], ['/api/uploads/*id', 'GET'], ['/f/*id', 'GET'], ['/upload/*name', 'PUT'], ['/internal/commit', 'POST']]) {
    t.match(text, `hoard_http_request_duration_seconds_count{route="${route}",method="${method}"`, `${method} ${route}`);
  }
  t.notMatch(text, 'route="other",method="POST"', 'no tus request counted as other');
});

t.test('a node refusing a tus creation for its cap on open uploads: the client gets the refusal and Retry-After', async (t) => {
  const capped = httpServer((_req, res) => {
    res.writeHead(429, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'TOO_MANY_UPLOADS', message: 'This client holds 100 unfinished uploads on this node (the limit)' } }));
  });
  const port = await new Promise<number>((r) => capped.listen(0, '127.0.0.1', () => r((capped.address() as AddressInfo).port)));
  t.teardown(() => new Promise<void>((r) => capped.close(() => r())));
  const r = { id: 'ncap', zone: 'zc', publicUrl: `http://127.0.0.1:${port}`, freeBytes: 90 * GiB, totalBytes: 100 * GiB };
  t.equal((await call('POST', '/internal/nodes/register', { body: r, auth: true })).status, 200);
  const res = await call('POST', '/files', { headers: { 'tus-resumable': '1.0.0', 'upload-length': '5' } });
  t.equal(res.status, 429, res.text);
  t.match(res.text, 'TOO_MANY_UPLOADS');
  t.equal(res.headers['retry-after'], '60');
});
