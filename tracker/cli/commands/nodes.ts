// hoard-admin nodes: the storage nodes the tracker knows, with their state and load.
import type { Argv, CommandModule } from 'yargs';
import { formatBytes } from '../../../common/cli.js';
import { TRACKER } from '../../../common/protocol/routes.js';
import { type NodeStatus } from '../../../common/protocol/types.js';
import { adminClient, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';
import { ago, formatTable } from '../table.js';

export const nodesCommand: CommandModule<object, AdminArgs> = {
  command: 'nodes',
  describe: 'List storage nodes (state, zone, free space, load, blob count)',
  builder: (y: Argv<object>) => withAdminOptions(y),
  handler: (argv) =>
    runAdmin(async () => {
      const nodes = await adminClient(argv).get<NodeStatus[]>(TRACKER.adminNodes);
      if (argv.json) return printJson(nodes);
      if (nodes.length === 0) {
        process.stdout.write('no storage nodes registered\n');
        return;
      }
      const sorted = [...nodes].sort((a, b) => a.zone.localeCompare(b.zone) || a.id.localeCompare(b.id));
      process.stdout.write(
        formatTable<NodeStatus>(
          [
            { title: 'ID', value: (n) => n.id },
            { title: 'ZONE', value: (n) => n.zone },
            { title: 'STATE', value: state },
            { title: 'URL', value: (n) => n.publicUrl },
            { title: 'FREE', value: free, right: true },
            { title: 'LOAD', value: (n) => String(n.load), right: true },
            { title: 'BLOBS', value: (n) => String(n.blobCount), right: true },
            { title: 'SEEN', value: (n) => ago(n.lastSeen), right: true },
          ],
          sorted,
        ),
      );
      for (const n of sorted.filter((x) => x.tooSmall)) {
        process.stdout.write(
          `${n.id}: can never take an upload: its disk (${formatBytes(n.totalBytes)}) less its --reserve (${formatBytes(n.reserveBytes ?? 0)}) ` +
            `is not above the tracker's --upload-margin; lower either, or give it a bigger disk\n`,
        );
      }
    }),
};

function free(n: NodeStatus): string {
  const pct = n.totalBytes > 0 ? ` (${Math.round((n.freeBytes / n.totalBytes) * 100)}%)` : '';
  return formatBytes(n.freeBytes) + pct;
}

/** up, down, with late (heartbeat overdue), draining and no-uploads (a disk too small for any upload) added. */
function state(n: NodeStatus): string {
  return [n.state, ...(n.late ? ['late'] : []), ...(n.draining ? ['draining'] : []), ...(n.tooSmall ? ['no-uploads'] : [])].join(',');
}
