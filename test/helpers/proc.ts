// Child processes for end-to-end tests: one-shot commands with a timeout,
// and long-running daemons that announce their port in a pino "listening"
// line. Every child is stopped by its pid, and killed if the test process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const live = new Set<ChildProcess>();
const exitTasks: (() => void)[] = [];
// A test that crashes or exits early must not leave servers, folders or mounts
// behind: children are killed first, then the synchronous cleanups run, newest first.
process.on('exit', () => {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const task of exitTasks.splice(0).reverse()) {
    try {
      task();
    } catch {
      // best effort: the process is ending
    }
  }
});

/** Runs `task` (synchronous) if the process exits before the returned cancel is called. */
export function atExit(task: () => void): () => void {
  exitTasks.push(task);
  return () => {
    const i = exitTasks.indexOf(task);
    if (i >= 0) exitTasks.splice(i, 1);
  };
}

function track(p: ChildProcess): void {
  live.add(p);
  p.once('exit', () => live.delete(p));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const why = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
}

/** Runs a command to completion (SIGKILL after timeoutMs), capturing its output. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const p = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    track(p);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        ms: Date.now() - started,
      });
    });
    p.stdin.on('error', () => {
      // the command may exit without reading its input
    });
    p.stdin.end(opts.input ?? '');
  });
}

/** A one-line description of a RunResult for assertion messages. */
export function describeRun(r: RunResult): string {
  const tail = (s: string) => s.trim().split('\n').slice(-5).join(' | ').slice(0, 600);
  return `exit ${r.code}${r.signal ? ' signal ' + r.signal : ''}${r.timedOut ? ' (timed out)' : ''}; stderr: ${tail(r.stderr)}; stdout: ${tail(r.stdout)}`;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DaemonOptions {
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  /**
   * A command that runs node for us, e.g. ['ip', 'netns', 'exec', NS]: it
   * must exec (not fork) so the pid stays the daemon's and signals reach it.
   */
  wrap?: string[];
}

/** A server process started with `--port 0`; port and url come from its "listening" log line. */
export class Daemon {
  readonly lines: string[] = [];
  readonly exited: Promise<ExitInfo>;
  port = 0;
  url = '';
  private exitInfo: ExitInfo | undefined;

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Starts `node <script> ...args` and resolves once it logged that it listens. */
  static async start(name: string, script: string, args: string[], opts: DaemonOptions = {}): Promise<Daemon> {
    const argv = [...(opts.wrap ?? []), process.execPath, script, ...args];
    const proc = spawn(argv[0]!, argv.slice(1), {
      env: { ...process.env, HOARD_LOG_LEVEL: 'info', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(proc);
    const d = new Daemon(name, proc);
    const keep = (line: string) => {
      d.lines.push(line);
      if (d.lines.length > 20_000) d.lines.splice(0, 5_000);
    };
    let onListening: (() => void) | undefined;
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      keep(line);
      if (d.port) return;
      const rec = parseJsonLine(line);
      if (rec?.msg === 'listening' && typeof rec.port === 'number') {
        d.port = rec.port;
        d.url = typeof rec.url === 'string' ? rec.url.replace(/\/$/, '') : `http://127.0.0.1:${rec.port}`;
        onListening?.();
      }
    });
    createInterface({ input: proc.stderr! }).on('line', (line) => keep('[stderr] ' + line));
    const timeoutMs = opts.readyTimeoutMs ?? 15_000;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not log "listening" within ${timeoutMs} ms`)), timeoutMs);
        onListening = () => {
          clearTimeout(timer);
          resolve();
        };
        void d.exited.then((e) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (code ${e.code}, signal ${e.signal}) before listening`));
        });
      });
    } catch (err) {
      await d.stop();
      throw new Error(`${(err as Error).message}\n--- ${name} output ---\n${d.tail(40)}`);
    }
    return d;
  }

  /** Sends a signal and waits for the exit (SIGKILL after graceMs if it lingers). */
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<ExitInfo> {
    if (!this.running) return this.exitInfo!;
    try {
      process.kill(this.pid, signal);
    } catch {
      // raced with its own exit
    }
    const timer = setTimeout(() => {
      if (this.running) {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }, graceMs);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }

  stop(): Promise<ExitInfo> {
    return this.kill('SIGTERM');
  }

  /** Parsed JSON log records (non-JSON lines skipped). */
  records(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const l of this.lines) {
      const r = parseJsonLine(l);
      if (r) out.push(r);
    }
    return out;
  }

  tail(n: number): string {
    return this.lines.slice(-n).join('\n');
  }
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
