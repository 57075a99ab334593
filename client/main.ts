#!/usr/bin/env node
// hoard: upload files to a hoard cluster and download links.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULT_TRACKER, hoardVersion } from '../common/cli.js';
import { getCommand } from './commands/get.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import { lsCommand } from './commands/ls.js';
import { pointsCommand } from './commands/points.js';
import { putCommand } from './commands/put.js';
import { redeemCommand } from './commands/redeem.js';
import { whoamiCommand } from './commands/whoami.js';
import { cliFailure, protectDashedIds } from './args.js';

const args = protectDashedIds(hideBin(process.argv));

await yargs(args)
  .scriptName('hoard')
  .usage('$0 <command> [options]')
  .option('tracker', {
    type: 'string',
    global: true,
    describe: `Tracker URL, or every tracker of the cluster comma-separated (the first that answers is used) (env HOARD_TRACKER, default ${DEFAULT_TRACKER})`,
  })
  .command(putCommand)
  .command(getCommand)
  .command(loginCommand)
  .command(logoutCommand)
  .command(whoamiCommand)
  .command(redeemCommand)
  .command(pointsCommand)
  .command(lsCommand)
  .demandCommand(1, 'Name a command: put, get, login, logout, whoami, ls, redeem or points')
  .strict()
  .help()
  .alias('h', 'help')
  .version(hoardVersion())
  .fail(cliFailure('hoard', args))
  .parseAsync();
