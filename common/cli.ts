// What the command-line tools share: the tracker address, one error line
// format, the one "cannot reach" error, the version, byte sizes for humans.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HoardError, RemoteError } from './protocol/errors.js';

export const DEFAULT_TRACKER = 'http://127.0.0.1:8080';

/** Failures found by a command-line tool itself (servers use HoardError and the error table). */
export type CliErrorCode =
  | 'BAD_ARGUMENT'
  | 'BAD_LINK'
  | 'BAD_RESPONSE'
  | 'BAD_TRACKER_URL'
  | 'CHECKSUM_MISMATCH'
  | 'CONNECTION_LOST'
  | 'DOWNLOAD_FAILED'
  | 'FILE_EXISTS'
  | 'JOB_FAILED'
  | 'MISSING_ARGUMENT'
  | 'NODE_UNREACHABLE'
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

/**
 * Every tracker a tool may use, from a comma-separated flag, then
 * HOARD_TRACKER, then the default; each checked as trackerUrl checks one.
 */
export function trackerUrls(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = flag || env.HOARD_TRACKER || DEFAULT_TRACKER;
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new CliError('BAD_TRACKER_URL', 'no tracker URL given');
  return [...new Set(list.map((u) => trackerUrl(u, {})))];
}

/**
 * Calls to whichever of a cluster's trackers answers. A call goes to the
 * tracker that answered last; one that cannot be reached at all is skipped
 * for the next (every tracker answers every request). Failures come out as
 * `reaching` shapes them; when none answers, the last one's.
 */
export class TrackerList {
  private at = 0;

  constructor(readonly urls: readonly string[]) {
    if (urls.length === 0) throw new CliError('BAD_TRACKER_URL', 'no tracker URL given');
  }

  /** The tracker the next call goes to first. */
  get current(): string {
    return this.urls[this.at]!;
  }

  /** `next` says which other failures (an answer from the tracker) also send the call on to the next tracker. */
  async call<T>(fn: (base: string) => Promise<T>, next?: (err: unknown) => boolean): Promise<T> {
    let last: unknown;
    for (let i = 0; i < this.urls.length; i++) {
      const at = (this.at + i) % this.urls.length;
      const base = this.urls[at]!;
      try {
        const out = await reaching(`the tracker at ${base}`, () => fn(base));
        this.at = at;
        return out;
      } catch (err) {
        const skip = (err instanceof CliError && err.code === 'TRACKER_UNREACHABLE') || next?.(err) === true;
        if (!skip || i === this.urls.length - 1) throw err;
        last = err;
      }
    }
    throw last;
  }
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

/** Codes of a connection that never opened (as opposed to one that opened and broke). */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

function neverConnected(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && NEVER_CONNECTED.has(code)) return true;
  // Connecting to a name with several addresses fails with one error per address.
  return err instanceof AggregateError && err.errors.length > 0 && err.errors.every(neverConnected);
}

/** Which kind of server a tool talks to: the code of a failure to reach it says which. */
export type PeerKind = 'tracker' | 'node';

/**
 * A server that could not be reached at all. `server` names it as the
 * message should read: "the tracker at URL", "node n1 at URL".
 * TRACKER_UNREACHABLE or NODE_UNREACHABLE by `kind`.
 */
export function unreachableError(server: string, cause: unknown, kind: PeerKind = 'tracker'): CliError {
  const why = (cause as Error | undefined)?.message || String((cause as NodeJS.ErrnoException | undefined)?.code ?? cause);
  return new CliError(kind === 'node' ? 'NODE_UNREACHABLE' : 'TRACKER_UNREACHABLE', `cannot reach ${server} (${why})`, { cause });
}

/**
 * Runs `call`; failing to connect to `server` becomes unreachableError, a
 * connection that opened and then broke becomes CONNECTION_LOST (the server
 * was there: it may have done the work), and any answer from it passes
 * through as it is.
 */
export async function reaching<T>(server: string, call: () => Promise<T>, kind: PeerKind = 'tracker'): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!isConnectionError(err)) throw err;
    if (neverConnected(err)) throw unreachableError(server, err, kind);
    const why = (err as Error).message || String((err as NodeJS.ErrnoException).code);
    throw new CliError('CONNECTION_LOST', `${server} closed the connection before answering (${why})`, { cause: err });
  }
}

let version: string | undefined;

/** hoard's version, from the package.json of the installed tree (every command's --version). */
export function hoardVersion(): string {
  if (version !== undefined) return version;
  // common/cli.ts runs from the source tree (tests) and from dist/common/cli.js: look upwards.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hoard' && typeof pkg.version === 'string') return (version = pkg.version);
    }
    dir = dirname(dir);
  }
  return (version = 'unknown');
}

/**
 * For a missing positional argument: the options given in `args` (the raw
 * command line) whose value is the next word, since one of them may have
 * taken the argument meant for the command ("--state-dir movie.mkv").
 * `valueOptions` are the options that take a value, without dashes,
 * aliases included.
 */
export function swallowedBy(args: readonly string[], valueOptions: readonly string[]): Array<{ option: string; value: string }> {
  const takes = new Set(valueOptions);
  const out: Array<{ option: string; value: string }> = [];
  for (let i = 0; i < args.length - 1; i++) {
    const a = args[i]!;
    if (a === '--') break;
    const m = /^--?([A-Za-z][\w-]*)$/.exec(a);
    if (m && takes.has(m[1]!)) {
      out.push({ option: a, value: args[i + 1]! });
      i++;
    }
  }
  return out;
}

/** The message for a missing `what` ("a FILE to upload"), naming any option that may have taken it. */
export function missingArgumentMessage(what: string, args: readonly string[], valueOptions: readonly string[]): string {
  const took = swallowedBy(args, valueOptions);
  if (took.length === 0) return `missing ${what}`;
  const named = took.map((t) => `${t.option} took ${JSON.stringify(t.value)} as its value`).join('; ');
  const first = took[0]!;
  return `missing ${what}: ${named} (if ${JSON.stringify(first.value)} was meant as the argument, give the option its own value, e.g. ${first.option}=VALUE, or put it after the argument)`;
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
