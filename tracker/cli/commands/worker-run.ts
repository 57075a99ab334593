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
      const out = await adminClient(argv).post<{ name: string; ms: number; report: WorkerReport }>(`${TRACKER.adminWorkers}/${encodeURIComponent(argv.name)}/run`);
      if (argv.json) return printJson(out);
      const parts = Object.entries(out.report).map(([k, v]) => `${k}=${v}`);
      process.stdout.write(`${out.name}: ${parts.join(' ') || 'done'} (${out.ms} ms)\n`);
    }),
};
