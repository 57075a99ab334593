// Calls to the tracker's public JSON routes; "cannot connect" gets its own code
// so a wrong --tracker is obvious.
import { CliError, isConnectionError } from '../common/cli.js';
import { callJson } from '../common/client.js';

export async function callTracker<T>(tracker: string, method: string, pathAndQuery: string, body?: unknown): Promise<T> {
  try {
    return await callJson<T>(tracker, method, pathAndQuery, { body, timeoutMs: 30_000 });
  } catch (err) {
    if (!isConnectionError(err)) throw err;
    const why = (err as Error).message || String((err as NodeJS.ErrnoException).code);
    throw new CliError('TRACKER_UNREACHABLE', `cannot reach the tracker at ${tracker} (${why})`, { cause: err });
  }
}
