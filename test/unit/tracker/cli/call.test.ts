// hoard-admin's calls: a tracker or node that does not answer at all is
// TRACKER_UNREACHABLE or NODE_UNREACHABLE naming it; one that hangs up during
// the call is CONNECTION_LOST naming it; an answer, error or not, passes
// through as the server gave it.
import t from 'tap';
import { CliError } from '../../../../common/cli.js';
import { createServer, freePort, listen } from '../../../../common/http.js';
import { createLogger } from '../../../../common/log.js';
import { HoardError, RemoteError } from '../../../../common/protocol/errors.js';
import { adminCaller } from '../../../../tracker/cli/call.js';
import { adminClient } from '../../../../tracker/cli/options.js';

const secret = 'cli-call-test-secret-0123456789';

t.test('nothing listening: TRACKER_UNREACHABLE or NODE_UNREACHABLE, naming the server', async (t) => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const args = { tracker: url, secret, json: false };
  const calls: Array<[() => Promise<unknown>, string, string]> = [
    [() => adminClient(args).get('/internal/admin/stats'), 'TRACKER_UNREACHABLE', `cannot reach the tracker at ${url} (`],
    [() => adminCaller(args).call('DELETE', '/api/links/x'), 'TRACKER_UNREACHABLE', `cannot reach the tracker at ${url} (`],
    [() => adminCaller(args).callNode({ id: 'n7', publicUrl: url }, 'GET', '/internal/blobs'), 'NODE_UNREACHABLE', `cannot reach node n7 at ${url} (`],
  ];
  for (const [call, code, message] of calls) {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err instanceof CliError);
    t.equal((err as CliError).code, code);
    t.match((err as CliError).message, message);
  }
});

t.test('a server that hangs up during the call: CONNECTION_LOST naming it, not "unreachable"', async (t) => {
  const server = createServer((req) => {
    req.socket.destroy();
  }, createLogger('test', 'silent'));
  const port = await listen(server, 0, '127.0.0.1');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${port}`;
  const err = await adminCaller({ tracker: url, secret, json: false })
    .callNode({ id: 'n7', publicUrl: url }, 'POST', '/internal/workers/scrub/run', { body: {} })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.ok(err instanceof CliError);
  t.equal((err as CliError).code, 'CONNECTION_LOST');
  t.match((err as CliError).message, `node n7 at ${url} closed the connection before answering`);
});

t.test('an error answer passes through as it is', async (t) => {
  const server = createServer(() => {
    throw new HoardError('LINK_NOT_FOUND');
  }, createLogger('test', 'silent'));
  const port = await listen(server, 0, '127.0.0.1');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const err = await adminCaller({ tracker: `http://127.0.0.1:${port}`, secret, json: false })
    .call('DELETE', '/api/links/x')
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.ok(err instanceof RemoteError);
  t.equal((err as RemoteError).code, 'LINK_NOT_FOUND');
});
