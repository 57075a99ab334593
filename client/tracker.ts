// Calls to the tracker's public JSON routes; "cannot connect" gets its own code
// so a wrong --tracker is obvious.
import { reaching } from '../common/cli.js';
import { callJson } from '../common/client.js';

export function callTracker<T>(tracker: string, method: string, pathAndQuery: string, body?: unknown): Promise<T> {
  return reaching(`the tracker at ${tracker}`, () => callJson<T>(tracker, method, pathAndQuery, { body, timeoutMs: 30_000 }));
}
