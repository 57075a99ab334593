// hoard-admin links: share links, in id order, a page at a time.
import type { Argv, CommandModule } from 'yargs';
import { formatBytes } from '../../../common/cli.js';
import { TRACKER } from '../../../common/protocol/routes.js';
import { type LinkInfo } from '../../../common/protocol/types.js';
import { adminClient, printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';
import { pageQuery, withPageOptions, printMoreHint, type PageArgs } from '../page.js';
import { formatTable, shortDate } from '../table.js';

export const linksCommand: CommandModule<object, AdminArgs & PageArgs> = {
  command: 'links',
  describe: 'List links (file name, size, blob)',
  builder: (y: Argv<object>) => withPageOptions(withAdminOptions(y)),
  handler: (argv) =>
    runAdmin(async () => {
      const links = await adminClient(argv).get<LinkInfo[]>(TRACKER.adminLinks + pageQuery(argv));
      if (argv.json) return printJson(links);
      if (links.length === 0) {
        process.stdout.write('no links\n');
        return;
      }
      process.stdout.write(
        formatTable<LinkInfo>(
          [
            { title: 'ID', value: (l) => l.id },
            { title: 'SIZE', value: (l) => formatBytes(l.size), right: true },
            { title: 'CREATED', value: (l) => shortDate(l.created) },
            { title: 'BLOB', value: (l) => l.sha256.slice(0, 12) },
            { title: 'FILENAME', value: (l) => JSON.stringify(l.filename).slice(1, -1) },
          ],
          links,
        ),
      );
      printMoreHint('links', links, argv.limit);
    }),
};
