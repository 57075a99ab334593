// One-shot commands for end-to-end tests (with a timeout, killed if the test
// process exits), polling, and cleanups that run however the test process
// ends. Daemons are started by the launcher (scripts/cluster/).
import { spawn, type ChildProcess } from 'node:child_process';

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
