// hoard points: the signed-in account's reward points, the ledger's latest
// entries and what a premium day costs.
import type { Argv, CommandModule } from 'yargs';
import { errorLine, trackerUrls } from '../../common/cli.js';
import type { PointsInfo } from '../../common/protocol/rewards.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { GlobalArgs } from '../args.js';
import { callTracker, chooseTracker } from '../tracker.js';

interface PointsArgs extends GlobalArgs {
  json: boolean;
}

export const pointsCommand: CommandModule<GlobalArgs, PointsArgs> = {
  command: 'points',
  describe: 'Show the signed-in account\'s reward points (earned by complete downloads of its files) and their ledger',
  builder: (y: Argv<GlobalArgs>) => y.option('json', { type: 'boolean', default: false, describe: 'Print the whole ledger as JSON' }) as Argv<PointsArgs>,
  async handler(argv) {
    try {
      const tracker = await chooseTracker(trackerUrls(argv.tracker));
      const first = await callTracker<PointsInfo>(tracker, 'GET', TRACKER.points);
      const all = { ...first, points: [...first.points] };
      // The whole ledger, page by page.
      for (let next = first.next; next !== undefined; ) {
        const page = await callTracker<PointsInfo>(tracker, 'GET', `${TRACKER.points}?after=${encodeURIComponent(next)}`);
        all.points.push(...page.points);
        next = page.next;
      }
      delete all.next;
      if (argv.json) {
        process.stdout.write(JSON.stringify(all) + '\n');
        return;
      }
      const out = [`${all.balance} points (${all.earned} earned, ${all.spent} spent); a premium day costs ${all.pointsPerDay}`];
      if (!all.on) out.push('downloads earn no points on this cluster');
      for (const p of all.points.slice(-20)) out.push(`  ${p.at}  +1  ${p.link}  ${p.country}`);
      for (const r of all.redemptions) out.push(`  ${r.at}  -${r.points}  ${r.days} premium day(s), until ${r.premiumUntil}`);
      process.stdout.write(out.join('\n') + '\n');
    } catch (err) {
      process.exitCode = 1;
      process.stderr.write(errorLine('hoard', err) + '\n');
    }
  },
};
