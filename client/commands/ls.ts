// hoard ls: the signed-in account's files, each with its size, complete
// downloads, upload date and link.
import type { Argv, CommandModule } from 'yargs';
import { errorLine, formatBytes, trackerUrls } from '../../common/cli.js';
import type { AccountLink, AccountLinks } from '../../common/protocol/accounts.js';
import { TRACKER } from '../../common/protocol/routes.js';
import { formatTable, shortDate } from '../../common/table.js';
import type { GlobalArgs } from '../args.js';
import { callTracker, chooseTracker } from '../tracker.js';

interface LsArgs extends GlobalArgs {
  json: boolean;
}

export const lsCommand: CommandModule<GlobalArgs, LsArgs> = {
  command: 'ls',
  describe: 'List the signed-in account\'s files: name, size, complete downloads, upload date, link',
  builder: (y: Argv<GlobalArgs>) => y.option('json', { type: 'boolean', default: false, describe: 'Print the files as JSON, one line' }) as Argv<LsArgs>,
  async handler(argv) {
    try {
      const tracker = await chooseTracker(trackerUrls(argv.tracker));
      const links: AccountLink[] = [];
      for (let after: string | undefined, first = true; first || after !== undefined; first = false) {
        const page = await callTracker<AccountLinks>(tracker, 'GET', after === undefined ? TRACKER.accountLinks : `${TRACKER.accountLinks}?after=${encodeURIComponent(after)}`);
        links.push(...page.links);
        after = page.next;
      }
      if (argv.json) {
        process.stdout.write(JSON.stringify(links) + '\n');
        return;
      }
      if (links.length === 0) {
        process.stdout.write('no files\n');
        return;
      }
      process.stdout.write(
        formatTable<AccountLink>(
          [
            { title: 'NAME', value: (l) => l.filename },
            { title: 'SIZE', value: (l) => formatBytes(l.size), right: true },
            { title: 'DOWNLOADS', value: (l) => String(l.downloads), right: true },
            { title: 'UPLOADED', value: (l) => shortDate(l.created) },
            { title: 'LINK', value: (l) => l.link },
          ],
          links,
        ),
      );
    } catch (err) {
      process.exitCode = 1;
      process.stderr.write(errorLine('hoard', err) + '\n');
    }
  },
};
