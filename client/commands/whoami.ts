// hoard whoami: the account the saved token signs in (or anonymous), its
// tier, premium end and usage.
import type { Argv, CommandModule } from 'yargs';
import { errorLine, formatBytes, trackerUrls } from '../../common/cli.js';
import type { AccountInfo } from '../../common/protocol/accounts.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { GlobalArgs } from '../args.js';
import { callTracker, chooseTracker } from '../tracker.js';

interface WhoamiArgs extends GlobalArgs {
  json: boolean;
}

export const whoamiCommand: CommandModule<GlobalArgs, WhoamiArgs> = {
  command: 'whoami',
  describe: 'Show the account put and get act as, its tier and usage',
  builder: (y: Argv<GlobalArgs>) => y.option('json', { type: 'boolean', default: false, describe: 'Print the account as JSON' }) as Argv<WhoamiArgs>,
  async handler(argv) {
    try {
      const me = await callTracker<AccountInfo>(await chooseTracker(trackerUrls(argv.tracker)), 'GET', TRACKER.account);
      if (argv.json) {
        process.stdout.write(JSON.stringify(me) + '\n');
        return;
      }
      if (me.name === undefined) {
        process.stdout.write('anonymous\n');
        return;
      }
      const premium = me.premiumUntil && me.tier === 'premium' ? ` until ${me.premiumUntil}` : '';
      process.stdout.write(`${me.name} (${me.tier}${premium}), ${formatBytes(me.usedBytes ?? 0)} stored\n`);
    } catch (err) {
      process.exitCode = 1;
      process.stderr.write(errorLine('hoard', err) + '\n');
    }
  },
};
