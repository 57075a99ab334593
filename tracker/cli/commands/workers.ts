// hoard-admin workers [--node ID]: the background workers of the tracker (or
// of one storage node), their schedules and last runs.
import type { Argv, CommandModule } from 'yargs';
import type { WorkerStatus } from '../../../common/worker.js';
import { NODE, TRACKER } from '../../../common/protocol/routes.js';
import { adminCaller } from '../call.js';
import { describeProgress } from '../job.js';
import { findNode } from '../node-target.js';
import { adminClient, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';
import { ago, formatTable } from '../table.js';

interface Args extends AdminArgs {
  node?: string;
}

export const workersCommand: CommandModule<object, Args> = {
  command: 'workers',
  describe: 'List background workers (schedule, the tracker holding each one\'s lease, runs, failures, last report): the tracker\'s, or a node\'s with --node',
  builder: (y: Argv<object>) =>
    withAdminOptions(y).option('node', { type: 'string', describe: 'A storage node id: list its workers (scrub, orphans, tus-expiry)' }) as Argv<Args>,
  handler: (argv) =>
    runAdmin(async () => {
      const list =
        argv.node === undefined
          ? await adminClient(argv).get<WorkerStatus[]>(TRACKER.adminWorkers)
          : await nodeWorkers(argv, argv.node);
      if (argv.json) return printJson(list);
      process.stdout.write(
        formatTable<WorkerStatus>(
          [
            { title: 'NAME', value: (w) => w.name },
            { title: 'SCHEDULE', value: (w) => w.schedule },
            // Several trackers on one store run each leased worker at its holder only.
            { title: 'HOLDER', value: (w) => (w.holder === undefined ? '-' : w.here ? `${w.holder} (this one)` : w.holder) },
            { title: 'RUNNING', value: (w) => (w.running ? (w.progress ? describeProgress(w.progress) : 'yes') : 'no') },
            { title: 'RUNS', value: (w) => String(w.runs), right: true },
            { title: 'FAILED', value: (w) => String(w.failures), right: true },
            { title: 'LAST', value: (w) => ago(w.lastFinished), right: true },
            { title: 'REPORT', value: (w) => (w.lastError ? `error: ${w.lastError}` : report(w.lastReport)) },
          ],
          list,
        ),
      );
    }),
};

function report(r: Record<string, number> | undefined): string {
  if (!r) return '-';
  return Object.entries(r)
    .filter(([, v]) => v !== 0)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ') || 'nothing to do';
}

async function nodeWorkers(argv: AdminArgs, id: string): Promise<WorkerStatus[]> {
  const api = adminCaller(argv);
  return api.callNode<WorkerStatus[]>(await findNode(api, id), 'GET', NODE.workers);
}
