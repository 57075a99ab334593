// The API token `hoard login` saves, and the Authorization header the other
// commands send with it. The token file is JSON, mode 0600 in a 0700 folder
// under the user's config dir ($HOARD_CONFIG_DIR, else
// $XDG_CONFIG_HOME/hoard, else ~/.config/hoard). It names the trackers the
// token was made for, and is sent to those only. HOARD_TOKEN, when set, is
// sent to any tracker instead (scripts, CI).
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../common/cli.js';

export interface SavedToken {
  token: string;
  /** The token's id (what the tracker lists and revokes). */
  id: string;
  /** The account it signs in. */
  account: string;
  /** Tracker URLs of the cluster it was made on. */
  trackers: string[];
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOARD_CONFIG_DIR) return env.HOARD_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'hoard');
}

export const tokenFile = (env: NodeJS.ProcessEnv = process.env): string => join(configDir(env), 'token.json');

export function loadToken(env: NodeJS.ProcessEnv = process.env): SavedToken | undefined {
  let text: string;
  try {
    text = readFileSync(tokenFile(env), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const t = JSON.parse(text) as SavedToken;
    if (typeof t.token === 'string' && Array.isArray(t.trackers)) return t;
  } catch {
    // fall through
  }
  throw new CliError('BAD_ARGUMENT', `${tokenFile(env)} is not a token file hoard wrote: remove it and run hoard login again`);
}

/** Writes the token file readable by its owner only (created so, and set so if it existed). */
export function saveToken(t: SavedToken, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = tokenFile(env);
  writeFileSync(file, JSON.stringify(t, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function removeToken(env: NodeJS.ProcessEnv = process.env): void {
  rmSync(tokenFile(env), { force: true });
}

/** The Authorization header for a tracker: HOARD_TOKEN, else the saved token when it was made for this tracker, else none. */
export function authFor(tracker: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env.HOARD_TOKEN) return { authorization: `Bearer ${env.HOARD_TOKEN}` };
  const saved = loadToken(env);
  return saved && saved.trackers.includes(tracker) ? { authorization: `Bearer ${saved.token}` } : {};
}
