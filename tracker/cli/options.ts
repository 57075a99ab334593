// Options every hoard-admin command takes, and turning them into an
// authenticated call to the tracker's admin routes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { CliError, DEFAULT_TRACKER, errorLine, TrackerList, trackerUrls } from '../../common/cli.js';
import { RemoteError } from '../../common/protocol/errors.js';
import { callJson } from '../../common/client.js';
import { readSecretFile, SecretError } from '../../common/secret.js';

export interface AdminArgs {
  tracker?: string;
  secret?: string;
  secretFile?: string;
  json: boolean;
}

export function withAdminOptions<T>(y: Argv<T>): Argv<T & AdminArgs> {
  return y
    .option('tracker', { type: 'string', describe: `Tracker URL, or every tracker of the cluster comma-separated (the next is tried when one cannot be reached) (env HOARD_TRACKER, default ${DEFAULT_TRACKER})` })
    .option('secret', { type: 'string', describe: 'Cluster secret (or env HOARD_SECRET)' })
    .option('secret-file', { type: 'string', describe: 'File whose first line is the cluster secret' })
    .option('json', { type: 'boolean', default: false, describe: 'Print JSON instead of a table' }) as Argv<T & AdminArgs>;
}

/** The quick start's secret file, where `npm start` keeps it: $HOARD_DATA/secret, else ./data/secret. */
export function quickstartSecretFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HOARD_DATA || 'data', 'secret');
}

let toldWhere = false;

/**
 * --secret, then --secret-file, then HOARD_SECRET, then the quick start's
 * secret file when it exists (said on stderr, once: the operator should know
 * which cluster's secret signs the calls).
 */
export function resolveSecret(args: AdminArgs, env: NodeJS.ProcessEnv = process.env, note: (line: string) => void = (l) => process.stderr.write(l + '\n')): string {
  if (args.secret) return args.secret;
  if (args.secretFile) {
    try {
      return readSecretFile(args.secretFile);
    } catch (err) {
      if (err instanceof SecretError) throw new CliError('SECRET_REQUIRED', err.message, { cause: err });
      throw err;
    }
  }
  if (env.HOARD_SECRET) return env.HOARD_SECRET;
  const local = quickstartSecretFile(env);
  if (existsSync(local)) {
    let secret: string;
    try {
      secret = readSecretFile(local);
    } catch (err) {
      throw new CliError('SECRET_REQUIRED', `no secret given, and ${(err as Error).message}`, { cause: err });
    }
    if (!toldWhere) note(`hoard-admin: using the cluster secret in ${local.startsWith('/') ? local : './' + local} (--secret-file or HOARD_SECRET choose another)`);
    toldWhere = true;
    return secret;
  }
  throw new CliError('SECRET_REQUIRED', `the cluster secret is needed: --secret, --secret-file or env HOARD_SECRET (none given, and there is no ${local} here)`);
}

export interface AdminClient {
  /** The tracker the last call reached (the first before any). */
  readonly tracker: string;
  get<T>(pathAndQuery: string): Promise<T>;
  post<T>(pathAndQuery: string, body?: unknown, timeoutMs?: number): Promise<T>;
}

/** The trackers of --tracker, and what also sends a call on to the next one. */
export function adminTrackers(args: AdminArgs): TrackerList {
  return new TrackerList(trackerUrls(args.tracker));
}

/** A worker run asked of a tracker that does not hold the worker's lease: its holder is another of the list. */
export const elsewhere = (err: unknown): boolean => err instanceof RemoteError && err.code === 'WORKER_ELSEWHERE';

export function adminClient(args: AdminArgs): AdminClient {
  const trackers = adminTrackers(args);
  const secret = resolveSecret(args);
  const call = <T>(method: string, pathAndQuery: string, body: unknown, timeoutMs: number): Promise<T> =>
    trackers.call((base) => callJson<T>(base, method, pathAndQuery, { secret, body, timeoutMs }), elsewhere);
  return {
    get tracker() {
      return trackers.current;
    },
    get: <T>(pathAndQuery: string) => call<T>('GET', pathAndQuery, undefined, 30_000),
    // Worker runs answer when they are done: allow them time.
    post: <T>(pathAndQuery: string, body?: unknown, timeoutMs = 30 * 60_000) => call<T>('POST', pathAndQuery, body ?? {}, timeoutMs),
  };
}

/**
 * Runs a command body; failures print `hoard-admin: <code>: <message>` and
 * exit with `failureCode` (1; commands whose findings exit 1 fail with 2).
 */
export async function runAdmin(body: () => Promise<void>, failureCode = 1): Promise<void> {
  try {
    await body();
  } catch (err) {
    process.stderr.write(errorLine('hoard-admin', err) + '\n');
    process.exitCode = failureCode;
  }
}

/** Exit status of fsck and scrub: 0 nothing found, 1 findings, 2 the check itself failed. */
export const EXIT_FINDINGS = 1;
export const EXIT_FAILED = 2;

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
