// hoard-admin worker run NAME [--node ID]: run a background worker of the
// tracker (or of one storage node) now, as a job there, and print its report.
import type { Argv, CommandModule } from 'yargs';
import type { WorkerReport } from '../../../common/worker.js';
import { NODE, TRACKER } from '../../../common/protocol/routes.js';
import { adminCaller, nodeName, trackerName } from '../call.js';
import { runJob, type JobTarget } from '../job.js';
import { findNode } from '../node-target.js';
import { printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';

interface RunArgs extends AdminArgs {
  action: string;
  name: string;
  node?: string;
}

export const workerRunCommand: CommandModule<object, RunArgs> = {
  command: 'worker <action> <name>',
  describe: 'Run a background worker now (replicate, repair, reconcile, rebalance, ...; on a node with --node: scrub, orphans, tus-expiry) and print what it did',
  builder: (y: Argv<object>) =>
    withAdminOptions(y)
      .positional('action', { type: 'string', choices: ['run'], demandOption: true, describe: 'run: start it now and wait for its report' })
      .positional('name', { type: 'string', demandOption: true, describe: 'Worker name (see hoard-admin workers [--node ID])' })
      .option('node', { type: 'string', describe: 'Run it on this storage node instead of the tracker' }) as Argv<RunArgs>,
  handler: (argv) =>
    runAdmin(async () => {
      const name = encodeURIComponent(argv.name);
      const api = adminCaller(argv);
      let target: JobTarget;
      if (argv.node === undefined) {
        target = { name: trackerName(api.tracker), start: `${TRACKER.adminWorkers}/${name}/run`, jobs: TRACKER.adminJobs, call: api.call };
      } else {
        const node = await findNode(api, argv.node);
        target = { name: nodeName(node), start: `${NODE.workers}/${name}/run`, jobs: NODE.jobs, call: (m, p, o) => api.callNode(node, m, p, o) };
      }
      const { result: report, status } = await runJob<WorkerReport>(target);
      if (argv.json) return printJson({ name: argv.name, ms: status.ms, report });
      const parts = Object.entries(report).map(([k, v]) => `${k}=${v}`);
      process.stdout.write(`${argv.name}: ${parts.join(' ') || 'done'} (${status.ms} ms)\n`);
    }),
};
