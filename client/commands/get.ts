// hoard get LINK [-o FILE|-] : download, resume after breaks, verify, print
// the path (or write the bytes to standard output with -o -).
import type { Argv, CommandModule } from 'yargs';
import { errorLine, trackerUrls } from '../../common/cli.js';
import { chooseTracker } from '../tracker.js';
import { typedArg, type GlobalArgs } from '../args.js';
import { downloadLink, streamLink } from '../download.js';
import { parseLink } from '../link.js';
import { LINK_ID_RE } from '../../common/protocol/ids.js';

interface GetArgs extends GlobalArgs {
  link: string;
  output?: string;
  force: boolean;
}

export const getCommand: CommandModule<GlobalArgs, GetArgs> = {
  command: 'get <link>',
  describe: 'Download a link (full URL or id), resuming a partial download',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('link', { type: 'string', demandOption: true, describe: 'http://HOST/f/ID or ID' })
      .option('output', { alias: 'o', type: 'string', describe: 'Output file or directory (default: the uploaded file name); - writes to standard output' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace an existing file that holds other bytes' }) as Argv<GetArgs>,
  async handler(argv) {
    const onRetry = (line: string) => process.stderr.write(`hoard: ${line}\n`);
    try {
      // A link id that begins with '-' arrives with a leading space (client/args.ts).
      const link = typedArg(argv.link);
      // A bare id is looked up at the first tracker that answers; a full link names its own.
      const ref = parseLink(link, LINK_ID_RE.test(link) ? await chooseTracker(trackerUrls(argv.tracker)) : trackerUrls(argv.tracker)[0]!);
      if (argv.output === '-') {
        await streamLink(ref, process.stdout, { onRetry });
        return;
      }
      const { path, present } = await downloadLink(ref, { out: argv.output, force: argv.force, onRetry });
      if (present) process.stderr.write(`hoard: ${path} already holds this link's bytes\n`);
      process.stdout.write(path + '\n');
    } catch (err) {
      // Standard output closed early (`| head`): the reader has what it wanted.
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') {
        process.exitCode = 1;
        return;
      }
      process.stderr.write(errorLine('hoard', err) + '\n');
      process.exitCode = 1;
    }
  },
};
