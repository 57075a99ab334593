// hoard-admin gc: run the tracker's gc worker now (blobs without links past
// their grace period), as a job on the tracker.
import type { Argv, CommandModule } from 'yargs';
import { TRACKER } from '../../../common/protocol/routes.js';
import type { WorkerReport } from '../../../common/worker.js';
import { adminCaller, trackerName } from '../call.js';
import { runJob } from '../job.js';
import { printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';

export const gcCommand: CommandModule<object, AdminArgs> = {
  command: 'gc',
  describe: 'Delete now the blobs that have had no link for the grace period (gcGrace)',
  builder: (y: Argv<object>) => withAdminOptions(y),
  handler: (argv) =>
    runAdmin(async () => {
      const api = adminCaller(argv);
      const { result: r } = await runJob<WorkerReport>({ name: trackerName(api.tracker), start: `${TRACKER.adminWorkers}/gc/run`, jobs: TRACKER.adminJobs, call: api.call });
      if (argv.json) return printJson(r);
      process.stdout.write(
        `gc: ${r.deleted ?? 0} blob(s) deleted, ${r.copiesRemoved ?? 0} copies removed (${r.bytesFreed ?? 0} bytes), ` +
          `${r.copiesLeft ?? 0} copies left for the nodes' orphan reclaim, ${r.waiting ?? 0} blob(s) still in their grace period\n`,
      );
    }),
};
