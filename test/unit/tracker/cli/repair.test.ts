// hoard-admin repair prints the bad copies awaiting repair, as
// docs/operations.md says it counts them.
import t from 'tap';
import { createServer, listen, sendJson } from '../../../../common/http.js';
import { createLogger } from '../../../../common/log.js';
import type { RepairStatus } from '../../../../common/protocol/types.js';
import { repairCommand } from '../../../../tracker/cli/commands/repair.js';
import { runCommand } from '../../../helpers/cli-run.js';

const status: RepairStatus = {
  replicas: 2,
  graceMs: 300_000,
  counts: { blobs: 10, belowFactor: 1, waiting: 0, unavailable: 0, noTarget: 0, copies: 1, drops: 0, forgets: 0, busy: 0, badCopies: 3, badWaiting: 1 },
  holds: { n1: 10, n2: 9 },
  inFlight: [],
  totals: { copied: 0, copyFailures: 0, bytesCopied: 0, dropped: 0, forgotten: 0, adopted: 0 },
};
const server = createServer((_req, res) => sendJson(res, 200, status), createLogger('test', 'silent'));
const port = await listen(server, 0, '127.0.0.1');
t.teardown(() => new Promise<void>((r) => server.close(() => r())));

t.test('the bad-copies line', async (t) => {
  const printed = await runCommand(repairCommand, ['repair', '--tracker', `http://127.0.0.1:${port}`, '--secret', 'repair-test-secret-0123456789']);
  t.match(printed, /^bad copies 3 awaiting repair \(1 waiting for their node or a live good copy\)$/m);
});
