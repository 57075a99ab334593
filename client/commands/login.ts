// hoard login [--name NAME]: signs in for an API token and saves it (mode
// 0600, client/credentials.ts); put and get send it from then on.
import { hostname } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { errorLine, trackerUrls } from '../../common/cli.js';
import type { TokenCreated } from '../../common/protocol/accounts.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { GlobalArgs } from '../args.js';
import { saveToken } from '../credentials.js';
import { ask, readPassword } from '../prompt.js';
import { callTracker, chooseTracker } from '../tracker.js';

interface LoginArgs extends GlobalArgs {
  name?: string;
}

export const loginCommand: CommandModule<GlobalArgs, LoginArgs> = {
  command: 'login',
  describe: 'Sign in and save an API token for put and get (password asked, or the first line of standard input)',
  builder: (y: Argv<GlobalArgs>) => y.option('name', { type: 'string', describe: 'Account name (asked when not given)' }) as Argv<LoginArgs>,
  async handler(argv) {
    try {
      const trackers = trackerUrls(argv.tracker);
      const name = argv.name ?? (await ask('Account name: '));
      const password = await readPassword();
      const tracker = await chooseTracker(trackers);
      const t = await callTracker<TokenCreated>(tracker, 'POST', TRACKER.login, { name, password, token: `hoard on ${hostname()}` }, {});
      const file = saveToken({ token: t.token, id: t.id, account: name, trackers });
      process.stderr.write(`hoard: signed in as ${name}; token saved in ${file} (until ${t.expires})\n`);
    } catch (err) {
      process.exitCode = 1;
      process.stderr.write(errorLine('hoard', err) + '\n');
    }
  },
};
