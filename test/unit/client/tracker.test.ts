// hoard's JSON calls to the tracker: an answer, an error answer, and no
// answer at all (TRACKER_UNREACHABLE naming the tracker).
import t from 'tap';
import http from 'node:http';
import { CliError } from '../../../common/cli.js';
import { listen } from '../../../common/http.js';
import { RemoteError } from '../../../common/protocol/errors.js';
import { callTracker } from '../../../client/tracker.js';

async function serve(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  const port = await listen(server, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

t.test('a 2xx answer comes back parsed; the body goes as JSON', async (t) => {
  const seen: { method?: string; url?: string; body?: string; type?: string } = {};
  const s = await serve((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      Object.assign(seen, { method: req.method, url: req.url, body, type: req.headers['content-type'] });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  t.teardown(s.close);
  t.same(await callTracker<{ ok: boolean }>(s.url, 'POST', '/api/x?y=1', { a: 1 }), { ok: true });
  t.same(seen, { method: 'POST', url: '/api/x?y=1', body: '{"a":1}', type: 'application/json' });
});

t.test('an error answer is the server\'s error, not "unreachable"', async (t) => {
  const s = await serve((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'LINK_NOT_FOUND', message: 'no such link' } }));
  });
  t.teardown(s.close);
  const err = await callTracker(s.url, 'GET', '/api/links/x').catch((e: unknown) => e);
  t.type(err, RemoteError);
  t.equal((err as RemoteError).code, 'LINK_NOT_FOUND');
  t.equal((err as RemoteError).status, 404);
});

t.test('nothing listening: TRACKER_UNREACHABLE, naming the tracker and the cause', async (t) => {
  const s = await serve(() => undefined);
  const url = s.url;
  await s.close();
  const err = await callTracker(url, 'GET', '/api/links/x').catch((e: unknown) => e);
  t.type(err, CliError);
  t.equal((err as CliError).code, 'TRACKER_UNREACHABLE');
  t.match((err as CliError).message, `cannot reach the tracker at ${url} (`);
  t.match((err as CliError).message, /ECONNREFUSED/);
  t.equal(((err as CliError).cause as NodeJS.ErrnoException).code, 'ECONNREFUSED', 'the connection error is kept as the cause');
});
