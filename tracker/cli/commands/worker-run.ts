// hoard-admin worker run NAME [--node ID]: run a background worker of the
// tracker (or of one storage node) now and print its report.
import type { Argv, CommandModule } from 'yargs';
import type { WorkerReport } from '../../../common/worker.js';
import { NODE, TRACKER } from '../../../common/protocol/routes.js';
import { adminCaller } from '../call.js';
import { findNode } from '../node-target.js';
import { adminClient, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';

/** A node's run is waited for: a scrub of a whole disk takes long. */
const NODE_RUN_TIMEOUT_MS = 24 * 3_600_000;

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
      const started = Date.now();
      const name = encodeURIComponent(argv.name);
      const api = adminCaller(argv);
      const report =
        argv.node === undefined
          ? await adminClient(argv).post<WorkerReport>(`${TRACKER.adminWorkers}/${name}/run`)
          : await api.callAt<WorkerReport>((await findNode(api, argv.node)).publicUrl, 'POST', `${NODE.workers}/${name}/run`, { body: {}, timeoutMs: NODE_RUN_TIMEOUT_MS });
      const ms = Date.now() - started;
      if (argv.json) return printJson({ name: argv.name, ms, report });
      const parts = Object.entries(report).map(([k, v]) => `${k}=${v}`);
      process.stdout.write(`${argv.name}: ${parts.join(' ') || 'done'} (${ms} ms)\n`);
    }),
};
