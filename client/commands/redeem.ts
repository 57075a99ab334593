// hoard redeem KEY: a premium key's days added to the signed-in account.
import type { Argv, CommandModule } from 'yargs';
import { errorLine, trackerUrls } from '../../common/cli.js';
import type { AccountInfo } from '../../common/protocol/accounts.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { GlobalArgs } from '../args.js';
import { callTracker, chooseTracker } from '../tracker.js';

interface RedeemArgs extends GlobalArgs {
  key: string;
}

export const redeemCommand: CommandModule<GlobalArgs, RedeemArgs> = {
  command: 'redeem <key>',
  describe: 'Redeem a premium key for the signed-in account (hoard login first)',
  builder: (y: Argv<GlobalArgs>) => y.positional('key', { type: 'string', demandOption: true, describe: 'The key (hpk_…)' }) as Argv<RedeemArgs>,
  async handler(argv) {
    try {
      const me = await callTracker<AccountInfo>(await chooseTracker(trackerUrls(argv.tracker)), 'POST', TRACKER.redeem, { key: argv.key });
      process.stdout.write(`${me.name ?? ''} is premium until ${me.premiumUntil ?? '?'}\n`);
    } catch (err) {
      process.exitCode = 1;
      process.stderr.write(errorLine('hoard', err) + '\n');
    }
  },
};
