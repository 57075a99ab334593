// hoard-admin's calls: a tracker or node that does not answer at all is the
// one TRACKER_UNREACHABLE error naming the address; an answer, error or not,
// passes through as the server gave it.
import t from 'tap';
import { CliError } from '../../../../common/cli.js';
import { createServer, freePort, listen } from '../../../../common/http.js';
import { createLogger } from '../../../../common/log.js';
import { HoardError, RemoteError } from '../../../../common/protocol/errors.js';
import { adminCaller } from '../../../../tracker/cli/call.js';
import { adminClient } from '../../../../tracker/cli/options.js';

const secret = 'cli-call-test-secret-0123456789';

t.test('nothing listening: TRACKER_UNREACHABLE naming the address', async (t) => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const args = { tracker: url, secret, json: false };
  for (const call of [() => adminClient(args).get('/internal/admin/stats'), () => adminCaller(args).call('DELETE', '/api/links/x'), () => adminCaller(args).callAt(url, 'GET', '/internal/blobs')]) {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err instanceof CliError);
    t.equal((err as CliError).code, 'TRACKER_UNREACHABLE');
    t.match((err as CliError).message, `cannot reach `);
    t.match((err as CliError).message, url);
  }
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
