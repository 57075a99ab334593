// hoard-admin repair: the repair backlog (what the repair worker would do now),
// copies running, and totals since the tracker started.
import type { Argv, CommandModule } from 'yargs';
import { formatBytes } from '../../../common/cli.js';
import { TRACKER } from '../../../common/protocol/routes.js';
import { type RepairStatus } from '../../../common/protocol/types.js';
import { adminClient, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';
import { ago, formatTable } from '../table.js';

export const repairCommand: CommandModule<object, AdminArgs> = {
  command: 'repair',
  describe: 'Show the repair backlog: blobs below their replication factor, copies to make, copies running',
  builder: (y: Argv<object>) => withAdminOptions(y),
  handler: (argv) =>
    runAdmin(async () => {
      const r = await adminClient(argv).get<RepairStatus>(TRACKER.adminRepair);
      if (argv.json) return printJson(r);
      const c = r.counts;
      const lines = [
        `replication factor ${r.replicas}, repair after ${Math.round(r.graceMs / 1000)} s down`,
        `blobs ${c.blobs}; below factor ${c.belowFactor} (waiting for the grace period ${c.waiting}, no live copy ${c.unavailable}, no room or zone for a copy ${c.noTarget})`,
        `backlog: ${c.copies} copies to make, ${c.drops} copies to drop, ${c.forgets} lost holders to forget; ${c.busy} blobs busy`,
        `bad copies ${c.badCopies} awaiting repair (${c.badWaiting} waiting for their node or a live good copy)`,
        `since start: ${r.totals.copied} copies made (${formatBytes(r.totals.bytesCopied)}), ${r.totals.copyFailures} failed, ` +
          `${r.totals.dropped} dropped, ${r.totals.forgotten} forgotten, ${r.totals.adopted} adopted`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
      if (r.inFlight.length > 0) {
        process.stdout.write('\nrunning:\n');
        process.stdout.write(
          formatTable(
            [
              { title: 'KIND', value: (t) => t.kind },
              { title: 'BLOB', value: (t) => t.blob.slice(0, 16) },
              { title: 'FROM', value: (t) => t.source ?? t.node ?? '-' },
              { title: 'TO', value: (t) => t.target ?? '-' },
              { title: 'SINCE', value: (t) => ago(t.since), right: true },
            ],
            r.inFlight,
          ),
        );
      }
      const holds = Object.entries(r.holds).sort(([a], [b]) => a.localeCompare(b));
      if (holds.length > 0) {
        process.stdout.write('\ncopies listed per node:\n');
        process.stdout.write(formatTable([{ title: 'NODE', value: (h: [string, number]) => h[0] }, { title: 'BLOBS', value: (h) => String(h[1]), right: true }], holds));
      }
    }),
};
