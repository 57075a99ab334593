// hoard redeem KEY: a premium key's days added to the signed-in account.
// hoard redeem --days N: N premium days bought with reward points.
import type { Argv, CommandModule } from 'yargs';
import { errorLine, trackerUrls } from '../../common/cli.js';
import type { AccountInfo } from '../../common/protocol/accounts.js';
import type { PointsRedeemed } from '../../common/protocol/rewards.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { GlobalArgs } from '../args.js';
import { callTracker, chooseTracker } from '../tracker.js';

interface RedeemArgs extends GlobalArgs {
  key?: string;
  days?: number;
}

export const redeemCommand: CommandModule<GlobalArgs, RedeemArgs> = {
  command: 'redeem [key]',
  describe: 'Redeem a premium key, or reward points with --days, for the signed-in account (hoard login first)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('key', { type: 'string', describe: 'The key (hpk_…)' })
      .option('days', { type: 'number', describe: 'Premium days to buy with reward points (hoard points shows the price)' })
      .check((a) => {
        if ((a.key === undefined) === (a.days === undefined)) throw new Error('Give a premium key or --days, not both');
        if (a.days !== undefined && !(Number.isSafeInteger(a.days) && a.days > 0)) throw new Error('--days must be a positive whole number');
        return true;
      }) as Argv<RedeemArgs>,
  async handler(argv) {
    try {
      const tracker = await chooseTracker(trackerUrls(argv.tracker));
      if (argv.days !== undefined) {
        const r = await callTracker<PointsRedeemed>(tracker, 'POST', TRACKER.pointsRedeem, { days: argv.days });
        process.stdout.write(`${r.points} points for ${r.days} premium day(s): premium until ${r.premiumUntil}, ${r.balance} points left\n`);
        return;
      }
      const me = await callTracker<AccountInfo>(tracker, 'POST', TRACKER.redeem, { key: argv.key });
      process.stdout.write(`${me.name ?? ''} is premium until ${me.premiumUntil ?? '?'}\n`);
    } catch (err) {
      process.exitCode = 1;
      process.stderr.write(errorLine('hoard', err) + '\n');
    }
  },
};
