// hoard-admin drain --wait says "drained" only once the node itself reports
// no blob (the count `hoard-admin nodes` shows, from its heartbeat), not as
// soon as the index lists none: the index forgets a copy before the node
// deletes it, and the node's count arrives with its next heartbeat.
import t from 'tap';
import { createServer, listen, sendJson } from '../../../../common/http.js';
import { createLogger } from '../../../../common/log.js';
import { TRACKER } from '../../../../common/protocol/routes.js';
import type { NodeStatus } from '../../../../common/protocol/types.js';
import { drainCommand } from '../../../../tracker/cli/commands/drain.js';
import { runCommand } from '../../../helpers/cli-run.js';

const ID = 'n7';
/** Node list reads still to answer with a stale count, as the heartbeat lags. */
let staleReads = 3;
let nodeReads = 0;
const status = (blobCount: number): NodeStatus => ({
  id: ID,
  zone: 'a',
  publicUrl: 'http://127.0.0.1:1',
  freeBytes: 1,
  totalBytes: 2,
  state: 'up',
  lastSeen: new Date().toISOString(),
  load: 0,
  blobCount,
  draining: true,
});
const server = createServer((req, res, url) => {
  if (url.pathname === `${TRACKER.adminNodePrefix}${ID}/drain`) return sendJson(res, 200, status(2));
  if (url.pathname === TRACKER.adminRepair) return sendJson(res, 200, { holds: { [ID]: 0 } });
  if (url.pathname === TRACKER.adminNodes) {
    nodeReads++;
    return sendJson(res, 200, [status(staleReads-- > 0 ? 2 : 0)]);
  }
  res.writeHead(404).end();
}, createLogger('test', 'silent'));
const port = await listen(server, 0, '127.0.0.1');
t.teardown(() => new Promise<void>((r) => server.close(() => r())));

const run = (args: string[]) => runCommand(drainCommand, args);

const common = ['--tracker', `http://127.0.0.1:${port}`, '--secret', 'drain-test-secret-0123456789'];

t.test('drained once the node reports no blob, not when the index lists none', async (t) => {
  const out = await run(['drain', ID, '--wait', ...common]);
  t.match(out, /drained; it can be stopped and removed/);
  t.ok(nodeReads > 3, `the node list was read until its count was 0 (${nodeReads} reads)`);
  t.equal(staleReads, -1, 'the last read showed 0');
});

t.test('a node whose disk keeps copies the index no longer lists: said so, with their number', async (t) => {
  staleReads = Infinity;
  const out = await run(['drain', ID, '--wait', '--timeout', '1', ...common]);
  t.match(out, /the index lists no blob on it/);
  t.match(out, /still reports 2/);
});
