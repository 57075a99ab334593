// What the command-line tools share: the tracker address, one error line
// format, byte sizes for humans.
import { HoardError, RemoteError } from './protocol/errors.js';

export const DEFAULT_TRACKER = 'http://127.0.0.1:8080';

/** Failures found by a command-line tool itself (servers use HoardError and the error table). */
export type CliErrorCode =
  | 'BAD_LINK'
  | 'BAD_RESPONSE'
  | 'BAD_TRACKER_URL'
  | 'CHECKSUM_MISMATCH'
  | 'DOWNLOAD_FAILED'
  | 'NOT_A_FILE'
  | 'SECRET_REQUIRED'
  | 'TIMED_OUT'
  | 'TRACKER_UNREACHABLE'
  | 'UPLOAD_FAILED';

export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Tracker base URL from a flag, then HOARD_TRACKER, then the default; no trailing slash. */
export function trackerUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag || env.HOARD_TRACKER || DEFAULT_TRACKER;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError('BAD_TRACKER_URL', `tracker ${JSON.stringify(raw)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new CliError('BAD_TRACKER_URL', `tracker ${JSON.stringify(raw)} is not an http(s) URL`);
  }
  return (u.origin + u.pathname).replace(/\/+$/, '');
}

/** The code and message a tool prints for a failure: `<tool>: <code>: <message>`. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof RemoteError) {
    const prefix = `${err.code} (${err.status}): `;
    const text = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    return { code: err.code, message: `${text} (HTTP ${err.status})` };
  }
  if (err instanceof CliError || err instanceof HoardError) return { code: err.code, message: err.message };
  if (err instanceof AggregateError && err.errors.length > 0) {
    // Connecting to a name with several addresses fails with one error per address.
    const first = describeError(err.errors[0]);
    const code = (err as NodeJS.ErrnoException).code;
    return { code: typeof code === 'string' ? code : first.code, message: first.message };
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') return { code: 'ERROR', message: err.message || err.name };
    // System errors repeat their code: "ENOENT: no such file or directory, stat 'x'".
    const text = err.message.startsWith(code + ': ') ? err.message.slice(code.length + 2) : err.message;
    return { code, message: text || code };
  }
  return { code: 'ERROR', message: String(err) };
}

/** `context` names what failed (a file) when a command handles several. */
export function errorLine(tool: string, err: unknown, context?: string): string {
  const { code, message } = describeError(err);
  return `${tool}: ${code}: ${context ? context + ': ' : ''}${message}`;
}

/** True for failures to reach a peer at all (as opposed to an answer from it). */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof RemoteError || err instanceof CliError || err instanceof HoardError) return false;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && (code.startsWith('UND_ERR') || /^E[A-Z]+$/.test(code));
}

/**
 * A server that could not be reached at all. `server` names it as the
 * message should read: "the tracker at URL", or a node's URL. The code is
 * TRACKER_UNREACHABLE for either (the admin CLI reaches nodes the same way).
 */
export function unreachableError(server: string, cause: unknown): CliError {
  const why = (cause as Error | undefined)?.message || String((cause as NodeJS.ErrnoException | undefined)?.code ?? cause);
  return new CliError('TRACKER_UNREACHABLE', `cannot reach ${server} (${why})`, { cause });
}

/** Runs `call`; failing to connect to `server` becomes unreachableError, any answer from it passes through as it is. */
export async function reaching<T>(server: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!isConnectionError(err)) throw err;
    throw unreachableError(server, err);
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.50 KiB"; three significant digits above 1 KiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${v} B`;
  return `${v.toFixed(Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0)} ${UNITS[i]}`;
}
