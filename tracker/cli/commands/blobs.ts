// hoard-admin blobs: stored blobs, in id order, a page at a time.
import type { Argv, CommandModule } from 'yargs';
import { formatBytes } from '../../../common/cli.js';
import { TRACKER } from '../../../common/protocol/routes.js';
import { adminClient, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';
import { pageQuery, withPageOptions, printMoreHint, type PageArgs } from '../page.js';
import { formatTable, shortDate } from '../table.js';

/** The fields of the tracker's blob record that this listing shows. */
interface BlobRow {
  id: string;
  size: number;
  refs?: number;
  nodes?: string[];
  created?: string | number;
}

export const blobsCommand: CommandModule<object, AdminArgs & PageArgs> = {
  command: 'blobs',
  describe: 'List stored blobs (size, link count, holders)',
  builder: (y: Argv<object>) => withPageOptions(withAdminOptions(y)),
  handler: (argv) =>
    runAdmin(async () => {
      const blobs = await adminClient(argv).get<BlobRow[]>(TRACKER.adminBlobs + pageQuery(argv));
      if (argv.json) return printJson(blobs);
      if (blobs.length === 0) {
        process.stdout.write('no blobs\n');
        return;
      }
      process.stdout.write(
        formatTable<BlobRow>(
          [
            { title: 'ID (SHA-256)', value: (b) => b.id },
            { title: 'SIZE', value: (b) => formatBytes(b.size), right: true },
            { title: 'LINKS', value: (b) => (b.refs === undefined ? '-' : String(b.refs)), right: true },
            { title: 'CREATED', value: (b) => shortDate(b.created) },
            { title: 'NODES', value: (b) => (b.nodes ?? []).join(',') || '-' },
          ],
          blobs,
        ),
      );
      printMoreHint('blobs', blobs, argv.limit);
    }),
};
