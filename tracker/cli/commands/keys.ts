// hoard-admin keys create --days D [--count N]: premium keys, printed one a
// line (the tracker keeps only their hashes: this is the only time they show).
import type { Argv, CommandModule } from 'yargs';
import { CliError } from '../../../common/cli.js';
import { TRACKER } from '../../../common/protocol/routes.js';
import { adminCaller } from '../call.js';
import { printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';

interface CreateArgs extends AdminArgs {
  days: number;
  count: number;
}

const create: CommandModule<object, CreateArgs> = {
  command: 'create',
  describe: 'Make premium keys worth --days each, printed one a line',
  builder: (y: Argv<object>) =>
    withAdminOptions(y)
      .option('days', { type: 'number', demandOption: true, describe: 'Days of premium each key gives' })
      .option('count', { type: 'number', default: 1, describe: 'How many keys (1-1000)' }) as Argv<CreateArgs>,
  handler: (argv) =>
    runAdmin(async () => {
      if (!Number.isSafeInteger(argv.days) || argv.days < 1) throw new CliError('BAD_ARGUMENT', '--days must be a whole number of days');
      const r = await adminCaller(argv).call<{ keys: string[]; days: number }>('POST', TRACKER.adminKeys, { body: { count: argv.count, days: argv.days } });
      if (argv.json) return printJson(r);
      process.stdout.write(r.keys.join('\n') + '\n');
    }),
};

export const keysCommand: CommandModule<object, object> = {
  command: 'keys <command>',
  describe: 'Premium keys: create',
  builder: (y: Argv<object>) => y.command(create).demandCommand(1, 'Name a keys command: create'),
  handler: () => undefined,
};
