// hoard-admin worker run NAME: run a background worker now and print its report.
import type { Argv, CommandModule } from 'yargs';
import type { WorkerReport } from '../../../common/worker.js';
import { TRACKER } from '../../../common/protocol.js';
import { adminClient, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';

interface RunArgs extends AdminArgs {
  action: string;
  name: string;
}

export const workerRunCommand: CommandModule<object, RunArgs> = {
  command: 'worker <action> <name>',
  describe: 'Run a background worker now (replicate, repair, reconcile, rebalance, ...) and print what it did',
  builder: (y: Argv<object>) =>
    withAdminOptions(y)
      .positional('action', { type: 'string', choices: ['run'], demandOption: true, describe: 'run: start it now and wait for its report' })
      .positional('name', { type: 'string', demandOption: true, describe: 'Worker name (see hoard-admin workers)' }) as Argv<RunArgs>,
  handler: (argv) =>
    runAdmin(async () => {
      const started = Date.now();
      const report = await adminClient(argv).post<WorkerReport>(`${TRACKER.adminWorkers}/${encodeURIComponent(argv.name)}/run`);
      const ms = Date.now() - started;
      if (argv.json) return printJson({ name: argv.name, ms, report });
      const parts = Object.entries(report).map(([k, v]) => `${k}=${v}`);
      process.stdout.write(`${argv.name}: ${parts.join(' ') || 'done'} (${ms} ms)\n`);
    }),
};
