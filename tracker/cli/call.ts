// Authenticated calls with any method, to the tracker or to a node, for the
// admin commands that change things (the read-only ones use options.ts).
import { reaching, trackerUrl } from '../../common/cli.js';
import { callJson } from '../../common/client.js';
import { resolveSecret, type AdminArgs } from './options.js';

export interface AdminCaller {
  tracker: string;
  /** A call to the tracker. */
  call<T>(method: string, pathAndQuery: string, opts?: { body?: unknown; timeoutMs?: number }): Promise<T>;
  /** A call to another cluster member (a node's /internal/ routes), by its base URL. */
  callAt<T>(base: string, method: string, pathAndQuery: string, opts?: { body?: unknown; timeoutMs?: number }): Promise<T>;
}

export function adminCaller(args: AdminArgs): AdminCaller {
  const tracker = trackerUrl(args.tracker);
  const secret = resolveSecret(args);
  const callAt = <T>(base: string, method: string, pathAndQuery: string, opts: { body?: unknown; timeoutMs?: number } = {}): Promise<T> =>
    reaching(base, () => callJson<T>(base, method, pathAndQuery, { secret, body: opts.body, timeoutMs: opts.timeoutMs ?? 30_000 }));
  return { tracker, callAt, call: (method, path, opts) => callAt(tracker, method, path, opts) };
}
