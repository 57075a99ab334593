// hoard-admin fsck [--repair]: compare the tracker's index with every live
// node's copies, as a job on the tracker (progress on a terminal). Exit
// status: 0 nothing left to report, 1 findings, 2 fsck could not run.
import type { Argv, CommandModule } from 'yargs';
import type { FsckReport } from '../../../common/protocol/integrity.js';
import { TRACKER } from '../../../common/protocol/routes.js';
import { adminCaller, trackerName } from '../call.js';
import { runJob } from '../job.js';
import { EXIT_FAILED, EXIT_FINDINGS, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';
import { formatTable } from '../table.js';

interface Args extends AdminArgs {
  repair: boolean;
  minAge?: number;
}

export const fsckCommand: CommandModule<object, Args> = {
  command: 'fsck',
  describe: 'Report differences between the tracker index and the nodes (--repair fixes what it can). Exit 1: findings left; 2: could not run',
  builder: (y: Argv<object>) =>
    withAdminOptions(y)
      .option('repair', { type: 'boolean', default: false, describe: 'Fix: drop holders that lack the copy, delete unknown copies, adopt verified unlisted copies' })
      .option('min-age', { type: 'number', describe: 'With --repair: delete unknown copies only when older than this many seconds (default 600)' }) as Argv<Args>,
  handler: (argv) =>
    runAdmin(async () => {
      const q = new URLSearchParams();
      if (argv.repair) q.set('repair', '1');
      if (argv.minAge !== undefined) q.set('minAge', String(Math.max(0, Math.floor(argv.minAge))));
      const qs = q.size > 0 ? `?${q}` : '';
      const api = adminCaller(argv);
      const { result: r } = await runJob<FsckReport>({ name: trackerName(api.tracker), start: TRACKER.adminFsck + qs, jobs: TRACKER.adminJobs, call: api.call });
      const left = r.findings.filter((f) => !f.action).length;
      if (left > 0) process.exitCode = EXIT_FINDINGS;
      if (argv.json) return printJson(r);
      if (r.findings.length > 0) {
        process.stdout.write(
          formatTable(
            [
              { title: 'KIND', value: (f) => f.kind },
              { title: 'NODE', value: (f) => f.node ?? '-' },
              { title: 'BLOB', value: (f) => f.blob ?? '-' },
              { title: 'ACTION', value: (f) => f.action || '-' },
              { title: 'DETAIL', value: (f) => f.detail ?? '' },
            ],
            r.findings,
          ),
        );
      }
      const counts = Object.entries(r.counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'no differences';
      process.stdout.write(`fsck: ${r.nodesChecked} node(s), ${r.blobsChecked} blob(s) checked: ${counts}${r.repair ? `; ${r.repaired} repaired` : ''}\n`);
    }, EXIT_FAILED),
};
