// The tracker's route table: who may call what. Every route that is not
// public is refused without the cluster credential before its handler runs,
// whatever the handler would do; the node ↔ tracker and operator routes are
// declared with the class that says so.
import t from 'tap';
import { request } from 'undici';
import { createServer, listen } from '../../../../common/http.js';
import { createLogger } from '../../../../common/log.js';
import { AUTH_HEADER } from '../../../../common/protocol/routes.js';
import type { Route } from '../../../../common/router.js';
import { clusterAuth } from '../../../../common/sign.js';
import type { Caller } from '../../../../tracker/http/caller.js';
import { TRACKER_ROUTES } from '../../../../tracker/http/routes.js';
import { resolveCaller } from '../../../../tracker/http/caller.js';
import { trackerRouter } from '../../../../tracker/server.js';

const secret = 'routes-test-secret-0123456789';

/** A path the pattern matches: every parameter filled with an id-like value. */
const pathOf = (pattern: string) => pattern.replace(/[:*][A-Za-z]+/g, 'x1');

t.test('the auth class of every route', async (t) => {
  const classOf = (method: string, path: string) => TRACKER_ROUTES.find((r) => r.path === path && r.methods.includes(method))?.auth;
  for (const r of TRACKER_ROUTES) {
    if (r.path.startsWith('/internal/admin/')) t.equal(r.auth, 'admin', `${r.path} is for the operator`);
    else if (r.path.startsWith('/internal/')) t.equal(r.auth, 'internal', `${r.path} is for cluster members`);
    else if (r.path === '/metrics') t.equal(r.auth, 'metrics', 'metrics need the scraper token or the cluster credential');
    else if (!(r.path === '/api/links/*id' && r.methods.includes('DELETE'))) t.equal(r.auth, 'public', `${r.methods.join('|')} ${r.path} is public`);
  }
  t.equal(classOf('DELETE', '/api/links/*id'), 'admin', 'deleting a link needs the cluster credential');
  t.equal(classOf('GET', '/api/links/*id'), 'public', 'reading one does not');
  const cors = TRACKER_ROUTES.filter((r) => r.cors).flatMap((r) => r.methods.map((m) => `${m} ${r.path}`));
  t.same(cors.sort(), ['GET /api/links/*id', 'GET /api/status', 'GET /api/uploads/*id', 'GET /f/*id', 'HEAD /f/*id', 'OPTIONS /files', 'POST /api/uploads', 'POST /files', 'PUT /upload/*name'], 'CORS exactly on the upload, tus and download routes, and the download policy\'s status');
});

t.test('an internal route without a credential never reaches its handler', async (t) => {
  const ran: string[] = [];
  const spied: Array<Route<Caller>> = TRACKER_ROUTES.map((r) => ({
    ...r,
    handle: (_req, res, m) => {
      ran.push(`${m.route} ${m.auth}`);
      res.writeHead(204);
      res.end();
    },
  }));
  const router = trackerRouter({ secret, corsOrigins: '*', metricsTokenFile: '' }, spied, resolveCaller);
  const server = createServer((req, res, url) => router.handle(req, res, url), createLogger('test', 'silent'));
  const port = await listen(server, 0, '127.0.0.1');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
    const res = await request(`http://127.0.0.1:${port}${path}`, { method: method as 'GET', headers, body });
    await res.body.text();
    return res.statusCode;
  };

  const guarded = TRACKER_ROUTES.filter((r) => r.auth !== 'public');
  t.ok(guarded.length >= 17, 'every node and operator route is in the table');
  for (const r of guarded) {
    const path = pathOf(r.path);
    for (const method of r.methods) {
      const body = method === 'POST' ? '{}' : undefined;
      t.equal(await call(method, path, {}, body), 401, `${method} ${path} without a credential`);
      t.equal(await call(method, path, { [AUTH_HEADER]: clusterAuth('another-secret-0123456789', method, path, Date.now(), body) }, body), 401, `${method} ${path} with another secret`);
      t.equal(await call(method, path, { [AUTH_HEADER]: clusterAuth(secret, method, `${path}/other`, Date.now(), body) }, body), 401, `${method} ${path} with a credential for another path`);
      t.equal(await call(method, path, { [AUTH_HEADER]: 'garbage' }, body), 401, `${method} ${path} with a garbage credential`);
    }
  }
  t.equal(await call('GET', '/internal/no-such-route'), 401, 'an unknown internal path too');
  t.same(ran, [], 'no handler ran');

  for (const r of guarded) {
    const path = pathOf(r.path);
    const method = r.methods[0]!;
    t.equal(await call(method, path, { [AUTH_HEADER]: clusterAuth(secret, method, path) }), 204, `${method} ${path} with the credential`);
  }
  t.equal(ran.length, guarded.length, 'with it, each handler ran once');
});
