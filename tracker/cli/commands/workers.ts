// hoard-admin workers: the tracker's background workers, their schedules and last runs.
import type { Argv, CommandModule } from 'yargs';
import type { WorkerStatus } from '../../../common/worker.js';
import { TRACKER } from '../../../common/protocol.js';
import { adminClient, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';
import { ago, formatTable } from '../table.js';

export const workersCommand: CommandModule<object, AdminArgs> = {
  command: 'workers',
  describe: 'List background workers (schedule, runs, failures, last report)',
  builder: (y: Argv<object>) => withAdminOptions(y),
  handler: (argv) =>
    runAdmin(async () => {
      const list = await adminClient(argv).get<WorkerStatus[]>(TRACKER.adminWorkers);
      if (argv.json) return printJson(list);
      process.stdout.write(
        formatTable<WorkerStatus>(
          [
            { title: 'NAME', value: (w) => w.name },
            { title: 'SCHEDULE', value: (w) => w.schedule },
            { title: 'RUNNING', value: (w) => (w.running ? 'yes' : 'no') },
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
