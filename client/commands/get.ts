// hoard get LINK [-o FILE] : download, resume after breaks, verify, print the path.
import type { Argv, CommandModule } from 'yargs';
import { errorLine, trackerUrl } from '../../common/cli.js';
import type { GlobalArgs } from '../args.js';
import { downloadLink } from '../download.js';
import { parseLink } from '../link.js';

interface GetArgs extends GlobalArgs {
  link: string;
  output?: string;
}

export const getCommand: CommandModule<GlobalArgs, GetArgs> = {
  command: 'get <link>',
  describe: 'Download a link (full URL or id), resuming a partial download',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('link', { type: 'string', demandOption: true, describe: 'http://HOST/f/ID or ID' })
      .option('output', { alias: 'o', type: 'string', describe: 'Output file or directory (default: the uploaded file name)' }) as Argv<GetArgs>,
  async handler(argv) {
    try {
      const ref = parseLink(argv.link, trackerUrl(argv.tracker));
      const { path } = await downloadLink(ref, {
        out: argv.output,
        onRetry: (line) => process.stderr.write(`hoard: ${line}\n`),
      });
      process.stdout.write(path + '\n');
    } catch (err) {
      process.stderr.write(errorLine('hoard', err) + '\n');
      process.exitCode = 1;
    }
  },
};
