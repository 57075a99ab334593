// hoard logout: revokes the saved token at the tracker and removes the file.
import type { CommandModule } from 'yargs';
import { errorLine } from '../../common/cli.js';
import { RemoteError } from '../../common/protocol/errors.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { GlobalArgs } from '../args.js';
import { loadToken, removeToken } from '../credentials.js';
import { callTracker, chooseTracker } from '../tracker.js';

export const logoutCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'logout',
  describe: 'Revoke the saved API token and forget it',
  async handler() {
    try {
      const saved = loadToken();
      if (!saved) {
        process.stderr.write('hoard: not signed in\n');
        return;
      }
      try {
        await callTracker(await chooseTracker(saved.trackers), 'POST', TRACKER.logout, undefined, { authorization: `Bearer ${saved.token}` });
      } catch (err) {
        // A token the tracker no longer knows is as good as revoked: forget it all the same.
        if (!(err instanceof RemoteError && err.code === 'CREDENTIAL_INVALID')) throw err;
      }
      removeToken();
      process.stderr.write(`hoard: signed out (${saved.account})\n`);
    } catch (err) {
      process.exitCode = 1;
      process.stderr.write(errorLine('hoard', err) + '\n');
    }
  },
};
