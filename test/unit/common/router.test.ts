// The router both daemons use: 404/405, auth by class before any handler,
// parameters, the caller hook, CORS and preflight, route names for metrics.
import t from 'tap';
import { request } from 'undici';
import { createServer, listen } from '../../../common/http.js';
import { createLogger } from '../../../common/log.js';
import { createRouter, type Matched, type Route } from '../../../common/router.js';
import { clusterAuth, clusterAuthStream, bodyDigest } from '../../../common/sign.js';
import { AUTH_HEADER } from '../../../common/protocol/routes.js';

const secret = 'router-test-secret-0123456789';
type Caller = { ip: string };
const seen: Array<{ route: string; m: Matched<Caller> }> = [];
const ok = (name: string) => (_req: unknown, res: import('node:http').ServerResponse, m: Matched<Caller>) => {
  seen.push({ route: name, m });
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(name);
};

const routes: Route<Caller>[] = [
  { methods: ['GET', 'HEAD'], path: '/f/:id', auth: 'public', cors: true, handle: ok('link') },
  { methods: ['PUT'], path: '/upload/*name', auth: 'public', cors: true, handle: ok('upload') },
  { methods: ['GET'], path: '/internal/blobs', auth: 'internal', handle: ok('list') },
  { methods: ['GET', 'DELETE'], path: '/internal/blobs/:id', auth: 'internal', handle: ok('blob') },
  { methods: ['POST'], path: '/internal/blobs/:id/verify', auth: 'internal', handle: ok('verify') },
  { methods: ['GET'], path: '/internal/admin/stats', auth: 'admin', handle: ok('stats') },
  { methods: ['GET'], path: '/health', auth: 'public', handle: ok('health') },
  { methods: ['PUT'], path: '/internal/pipeline/:key', auth: 'internal', streamBody: true, handle: ok('stream') },
  { methods: ['GET'], path: '/raw/*name', auth: 'public', rawParams: true, handle: ok('raw') },
];

const router = createRouter<Caller>(routes, {
  secret,
  caller: (req) => ({ ip: req.socket.remoteAddress ?? '' }),
  cors: { origins: '*', expose: ['Location', 'Hoard-Link'], allowHeaders: ['Content-Type', 'Tus-Resumable'], maxAgeS: 600 },
});
const server = createServer((req, res, url) => router.handle(req, res, url), createLogger('test', 'silent'));
const port = await listen(server, 0, '127.0.0.1');
t.teardown(() => new Promise<void>((r) => server.close(() => r())));
const base = `http://127.0.0.1:${port}`;

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const res = await request(base + path, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: text.startsWith('{') ? (JSON.parse(text) as { error?: { code: string } }) : undefined };
}
const signed = (method: string, path: string, body?: string) => ({ [AUTH_HEADER]: clusterAuth(secret, method, path, Date.now(), body) });

t.test('unknown paths are 404, known paths with another method 405 with Allow', async (t) => {
  const a = await call('GET', '/nope');
  t.equal(a.status, 404);
  t.equal(a.json?.error?.code, 'NOT_FOUND');
  const b = await call('POST', '/f/abc');
  t.equal(b.status, 405);
  t.equal(b.headers.allow, 'GET, HEAD');
  t.equal(b.json?.error?.code, 'METHOD_NOT_ALLOWED');
  const c = await call('GET', '/f/');
  t.equal(c.status, 404, 'a :param does not match an empty segment');
  const d = await call('GET', '/f/a/b');
  t.equal(d.status, 404, 'a :param does not match two segments');
});

t.test('a GET route answers HEAD with the GET answer\'s head and no body', async (t) => {
  const h = await call('HEAD', '/health');
  t.equal(h.status, 200);
  t.equal(h.headers['content-type'], 'text/plain');
  t.equal(h.text, '', 'no body');
  t.equal((await call('HEAD', '/internal/blobs')).status, 401, 'the route\'s auth still applies');
  t.equal((await call('HEAD', '/internal/blobs', signed('HEAD', '/internal/blobs'))).status, 200);
  const p = await call('POST', '/health');
  t.equal(p.status, 405);
  t.equal(p.headers.allow, 'GET, HEAD', 'Allow names HEAD');
});

t.test('parameters are decoded; a rest parameter takes slashes; bad encoding is 400', async (t) => {
  seen.length = 0;
  t.equal((await call('GET', '/f/Qm%2Dx')).text, 'link');
  t.same(seen[0]?.m.params, { id: 'Qm-x' });
  t.equal(seen[0]?.m.route, '/f/:id');
  t.same(seen[0]?.m.caller, { ip: '127.0.0.1' }, 'the caller hook ran for a public route');
  t.equal((await call('PUT', '/upload/a%20b.txt', {}, 'x')).text, 'upload');
  t.same(seen[1]?.m.params, { name: 'a b.txt' });
  const bad = await call('GET', '/f/%E0%A4%A');
  t.equal(bad.status, 400);
  t.equal(bad.json?.error?.code, 'BAD_REQUEST');
  t.equal((await call('PUT', '/upload/', {}, 'x')).text, 'upload', 'a rest parameter may be empty');
  t.same(seen[2]?.m.params, { name: '' });
  t.equal((await call('PUT', '/upload', {}, 'x')).status, 404, 'but its slash must be there');
  t.equal((await call('GET', '/raw/a%20b/%FF')).text, 'raw', 'a route taking raw parameters gets bad encoding too');
  t.same(seen[3]?.m.params, { name: 'a%20b/%FF' });
});

t.test('internal and admin routes need the cluster credential before the handler runs', async (t) => {
  seen.length = 0;
  for (const [method, path] of [['GET', '/internal/blobs'], ['DELETE', '/internal/blobs/x'], ['POST', '/internal/blobs/x/verify'], ['GET', '/internal/admin/stats']] as const) {
    const r = await call(method, path);
    t.equal(r.status, 401, `${method} ${path} without a credential`);
    t.equal(r.json?.error?.code, 'UNAUTHORIZED');
    const forged = await call(method, path, { [AUTH_HEADER]: clusterAuth('another-secret-0123456789', method, path) });
    t.equal(forged.status, 401, `${method} ${path} with another secret's credential`);
    const moved = await call(method, path, signed(method, path + '?x=1'));
    t.equal(moved.status, 401, `${method} ${path} with a credential made for another target`);
  }
  t.equal(seen.length, 0, 'no handler ran');
  const body = '{"a":1}';
  const r = await call('POST', '/internal/blobs/x/verify', { ...signed('POST', '/internal/blobs/x/verify', body), 'content-type': 'application/json' }, body);
  t.equal(r.status, 200);
  t.equal(seen[0]?.m.bodyDigest, bodyDigest(body), 'the digest the credential vouches for reaches the handler');
  t.equal(seen[0]?.m.caller, undefined, 'no caller on internal routes');
  t.equal((await call('GET', '/internal/admin/stats', signed('GET', '/internal/admin/stats'))).status, 200);
});

t.test('a streamed-body credential is good on stream routes only, and they take no other', async (t) => {
  seen.length = 0;
  const stream = (method: string, path: string) => ({ [AUTH_HEADER]: clusterAuthStream(secret, method, path) });
  t.equal((await call('PUT', '/internal/pipeline/k', stream('PUT', '/internal/pipeline/k'), 'bytes')).status, 200);
  t.equal((await call('PUT', '/internal/pipeline/k', signed('PUT', '/internal/pipeline/k', 'bytes'), 'bytes')).status, 401, 'a body-digest credential on a stream route');
  t.equal((await call('GET', '/internal/blobs', stream('GET', '/internal/blobs'))).status, 401, 'a stream credential on an internal route');
  t.equal((await call('GET', '/internal/admin/stats', stream('GET', '/internal/admin/stats'))).status, 401, 'a stream credential on an admin route');
  t.equal(seen.length, 1, 'only the stream route ran');
});

t.test('CORS: allowed origins get the grant and the exposed headers, on errors too', async (t) => {
  const r = await call('GET', '/f/abc', { origin: 'https://elsewhere.example' });
  t.equal(r.headers['access-control-allow-origin'], '*');
  t.equal(r.headers['access-control-expose-headers'], 'Location, Hoard-Link');
  const e = await call('POST', '/f/abc', { origin: 'https://elsewhere.example' });
  t.equal(e.status, 405);
  t.equal(e.headers['access-control-allow-origin'], '*', 'a page can read the error body');
  const internal = await call('GET', '/health', { origin: 'https://elsewhere.example' });
  t.equal(internal.headers['access-control-allow-origin'], undefined, 'routes without cors grant nothing');
});

t.test('preflight is answered for CORS routes and the methods they take', async (t) => {
  const p = await call('OPTIONS', '/upload/x.bin', { origin: 'https://elsewhere.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' });
  t.equal(p.status, 204);
  t.equal(p.headers['access-control-allow-origin'], '*');
  t.equal(p.headers['access-control-allow-methods'], 'PUT');
  t.equal(p.headers['access-control-allow-headers'], 'Content-Type, Tus-Resumable');
  t.equal(p.headers['access-control-max-age'], '600');
  const refused = await call('OPTIONS', '/upload/x.bin', { origin: 'https://elsewhere.example', 'access-control-request-method': 'DELETE' });
  t.equal(refused.status, 204);
  t.equal(refused.headers['access-control-allow-origin'], undefined, 'a method the route does not take gets no grant');
  const plain = await call('OPTIONS', '/internal/blobs', { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET' });
  t.equal(plain.status, 405, 'no preflight answer for routes without cors');
});

t.test('a list of origins grants only those, and varies on Origin', async (t) => {
  const listed = createRouter<Caller>(routes, {
    secret,
    caller: () => ({ ip: '' }),
    cors: { origins: ['https://a.example'], expose: [], allowHeaders: [], maxAgeS: 60 },
  });
  const s = createServer((req, res, url) => listed.handle(req, res, url), createLogger('test', 'silent'));
  const p = await listen(s, 0, '127.0.0.1');
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  const get = async (origin: string) => request(`http://127.0.0.1:${p}/f/abc`, { headers: { origin } }).then(async (r) => (await r.body.text(), r.headers));
  const a = await get('https://a.example');
  t.equal(a['access-control-allow-origin'], 'https://a.example');
  t.equal(a.vary, 'Origin');
  const b = await get('https://b.example');
  t.equal(b['access-control-allow-origin'], undefined);
});

t.test('unknown paths and methods under a closed prefix need the credential before the 404 or 405', async (t) => {
  const closed = createRouter<Caller>(routes, {
    secret,
    caller: () => ({ ip: '' }),
    cors: { origins: '*', expose: [], allowHeaders: [], maxAgeS: 60 },
    closedPrefixes: ['/internal/'],
  });
  const s = createServer((req, res, url) => closed.handle(req, res, url), createLogger('test', 'silent'));
  const p = await listen(s, 0, '127.0.0.1');
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  const at = async (method: string, path: string, headers: Record<string, string> = {}) => {
    const r = await request(`http://127.0.0.1:${p}${path}`, { method: method as 'GET', headers });
    const text = await r.body.text();
    return { status: r.statusCode, code: (JSON.parse(text) as { error?: { code: string } }).error?.code };
  };
  t.same(await at('GET', '/internal/nothing-here'), { status: 401, code: 'UNAUTHORIZED' });
  t.same(await at('GET', '/internal/nothing-here', signed('GET', '/internal/nothing-here')), { status: 404, code: 'NOT_FOUND' }, 'a member gets the 404');
  t.same(await at('PUT', '/internal/blobs'), { status: 401, code: 'UNAUTHORIZED' }, 'a wrong method there needs it too');
  t.same(await at('PUT', '/internal/blobs', signed('PUT', '/internal/blobs')), { status: 405, code: 'METHOD_NOT_ALLOWED' }, 'and is a 405 with it');
  t.same(await at('GET', '/elsewhere'), { status: 404, code: 'NOT_FOUND' }, 'other unknown paths are a plain 404');
});

t.test('route names for metrics', async (t) => {
  t.equal(router.routeOf('/f/abc'), '/f/:id');
  t.equal(router.routeOf('/upload/a/b'), '/upload/*name');
  t.equal(router.routeOf('/internal/blobs/x/verify'), '/internal/blobs/:id/verify');
  t.equal(router.routeOf('/nope'), 'other');
  t.equal(router.routeOf('/f/%E0%A4%A'), '/f/:id', 'a path whose parameter will not decode is still named');
});
