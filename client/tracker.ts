// Calls to the tracker's public JSON routes; "cannot connect" gets its own code
// so a wrong --tracker is obvious.
import { reaching, TrackerList } from '../common/cli.js';
import { callJson } from '../common/client.js';
import { RemoteError } from '../common/protocol/errors.js';
import { TRACKER } from '../common/protocol/routes.js';
import { authFor } from './credentials.js';

/** A JSON call to a public route, signed in when a token is saved for this tracker (client/credentials.ts). */
export function callTracker<T>(tracker: string, method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = authFor(tracker)): Promise<T> {
  return reaching(`the tracker at ${tracker}`, () => callJson<T>(tracker, method, pathAndQuery, { body, timeoutMs: 30_000, headers }));
}

/**
 * Of a cluster's trackers (--tracker A,B), the first that answers its health
 * check; one tracker is used as it is. A proxy answering for a tracker that
 * is away (502, 503, 504) counts as not answering.
 */
export async function chooseTracker(urls: readonly string[]): Promise<string> {
  if (urls.length === 1) return urls[0]!;
  const list = new TrackerList(urls);
  const away = (err: unknown) => err instanceof RemoteError && err.status >= 502 && err.status <= 504;
  await list.call((base) => callJson<unknown>(base, 'GET', TRACKER.health, { timeoutMs: 5_000 }), away);
  return list.current;
}
