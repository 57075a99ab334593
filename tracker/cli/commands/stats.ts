// hoard-admin stats: cluster totals and what deduplication saves.
import type { Argv, CommandModule } from 'yargs';
import { formatBytes } from '../../../common/cli.js';
import { TRACKER } from '../../../common/protocol/routes.js';
import { type ClusterStats } from '../../../common/protocol/types.js';
import { adminClient, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';

export const statsCommand: CommandModule<object, AdminArgs> = {
  command: 'stats',
  describe: 'Show cluster totals: blobs, links, bytes stored and saved by dedup',
  builder: (y: Argv<object>) => withAdminOptions(y),
  handler: (argv) =>
    runAdmin(async () => {
      const s = await adminClient(argv).get<ClusterStats>(TRACKER.adminStats);
      if (argv.json) return printJson(s);
      const saved = s.logicalBytes > 0 ? ` (${((s.bytesSavedByDedup / s.logicalBytes) * 100).toFixed(1)}% of uploaded)` : '';
      const rows: [string, string][] = [
        ['nodes', `${s.nodesUp} up, ${s.nodesDown} down`],
        ['blobs', String(s.blobs)],
        ['links', String(s.links)],
        ['uploaded', `${formatBytes(s.logicalBytes)} (${s.logicalBytes} bytes)`],
        ['stored', `${formatBytes(s.bytesStored)} (${s.bytesStored} bytes)`],
        ['saved by dedup', `${formatBytes(s.bytesSavedByDedup)}${saved}`],
      ];
      const w = Math.max(...rows.map(([k]) => k.length));
      process.stdout.write(rows.map(([k, v]) => `${(k + ':').padEnd(w + 1)}  ${v}`).join('\n') + '\n');
    }),
};
