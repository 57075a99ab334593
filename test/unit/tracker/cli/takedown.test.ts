// hoard-admin takedown with a link id that yargs cannot take as a value (one
// beginning with '-', as link ids made before they stopped beginning with
// '-' may): a clear error and no request, while the link's URL carries the
// same id through.
import t from 'tap';
import { createServer, listen, sendJson } from '../../../../common/http.js';
import { createLogger } from '../../../../common/log.js';
import { takedownCommand } from '../../../../tracker/cli/commands/takedown.js';
import { runCommand } from '../../../helpers/cli-run.js';

const received: unknown[] = [];
const server = createServer(async (req, res) => {
  let body = '';
  for await (const c of req) body += String(c);
  received.push(JSON.parse(body));
  sendJson(res, 200, { id: 'n1', scope: 'link', target: 'x', reason: 'r', by: 'admin', created: new Date().toISOString(), inForce: true });
}, createLogger('test', 'silent'));
const port = await listen(server, 0, '127.0.0.1');
t.teardown(() => new Promise<void>((r) => server.close(() => r())));

const common = ['--tracker', `http://127.0.0.1:${port}`, '--secret', 'takedown-test-secret-0123456', '--json'];
const dashed = '-2_CQi-keIQ-jlo-M83DGw';

t.test('a bare dashed id: MISSING_ARGUMENT naming the way out, nothing sent', async (t) => {
  const before = process.exitCode;
  t.teardown(() => void (process.exitCode = before));
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => errors.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    await runCommand(takedownCommand, ['takedown', 'user', dashed, '--reason', 'repeat infringement', ...common]);
  } finally {
    process.stderr.write = write;
  }
  t.equal(process.exitCode, 1);
  t.match(errors.join(''), /MISSING_ARGUMENT: no user target: .*link URL/);
  t.same(received, [], 'no request reached the tracker');
});

t.test("the link's URL carries the dashed id", async (t) => {
  await runCommand(takedownCommand, ['takedown', 'link', `https://files.example/f/${dashed}`, '--reason', 'notice', ...common]);
  t.same(received, [{ scope: 'link', target: dashed, reason: 'notice' }]);
});
