// Every process the bench starts goes through here, so each one is stopped by
// its pid when the run ends, fails or is interrupted. Daemon output goes
// straight to a log file (the bench process must not spend CPU reading a
// million log lines while it measures); readiness is found by polling that file.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  exitCode?: number | string;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Capture stdout/stderr in memory instead of a log file (short-lived tools such as wrk). */
  capture?: boolean;
}

export class ProcessRegistry {
  private readonly live = new Map<number, Proc>();
  private readonly captured = new Map<number, { out: string; err: string }>();
  /** Set once the run is ending: nothing new may start after the last stop. */
  private closed = false;

  spawn(name: string, cmd: string, args: string[], logFile: string, opts: SpawnOptions = {}): Proc {
    if (this.closed) throw new Error(`not starting ${name}: the bench is stopping`);
    const fd = opts.capture ? undefined : openSync(logFile, 'a');
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd!, fd!],
    });
    if (fd !== undefined) closeSync(fd);
    if (child.pid === undefined) {
      // spawn failures (ENOENT) arrive as an 'error' event; surface them synchronously.
      throw new Error(`cannot start ${name} (${cmd})`);
    }
    const pid = child.pid;
    const cap = { out: '', err: '' };
    if (opts.capture) {
      child.stdout!.setEncoding('utf8').on('data', (s: string) => (cap.out += s));
      child.stderr!.setEncoding('utf8').on('data', (s: string) => (cap.err += s));
      this.captured.set(pid, cap);
    }
    const proc: Proc = {
      name,
      pid,
      child,
      logFile,
      exited: new Promise((resolve) => {
        child.on('error', () => undefined);
        child.on('close', (code, signal) => {
          proc.exitCode = code ?? signal ?? -1;
          this.live.delete(pid);
          resolve(proc.exitCode);
        });
      }),
    };
    this.live.set(pid, proc);
    return proc;
  }

  output(p: Proc): { out: string; err: string } {
    return this.captured.get(p.pid) ?? { out: '', err: '' };
  }

  /** SIGTERM by pid, SIGKILL after `graceMs`; also kills children it left behind (nginx workers). */
  async stop(p: Proc, graceMs = 5_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (p.exitCode !== undefined) return;
    const kids = descendants(p.pid);
    try {
      process.kill(p.pid, signal);
    } catch {
      /* already gone */
    }
    const done = await Promise.race([p.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await Promise.race([p.exited, sleep(2_000)]);
    }
    for (const k of kids) killIfAlive(k);
  }

  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live.values()].map((p) => this.stop(p)));
  }

  /** Last resort from process.on('exit'): nothing async can run there. */
  killAllSync(): void {
    for (const p of this.live.values()) {
      for (const k of descendants(p.pid)) killIfAlive(k);
      killIfAlive(p.pid);
    }
  }
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** Pids whose parent chain leads to `pid`, from /proc (Linux). */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of safeReaddir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name, which is in parentheses and may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const want = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, pp] of parent) {
      if (want.has(pp) && !want.has(p)) {
        want.add(p);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Polls a daemon's log for its pino `"msg":"listening"` line and returns the
 * parsed line. Fails early when the process exits, with the log's tail.
 */
export async function waitForListening(p: Proc, timeoutMs = 20_000): Promise<{ port: number; url?: string }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of readLines(p.logFile)) {
      if (!line.includes('"listening"')) continue;
      try {
        const j = JSON.parse(line) as { msg?: string; port?: number; url?: string };
        if (j.msg === 'listening' && typeof j.port === 'number') return { port: j.port, url: j.url };
      } catch {
        /* not JSON */
      }
    }
    if (p.exitCode !== undefined) throw new Error(`${p.name} exited (${p.exitCode}) before listening:\n${logTail(p.logFile)}`);
    await sleep(50);
  }
  throw new Error(`${p.name} did not log "listening" within ${timeoutMs} ms:\n${logTail(p.logFile)}`);
}

function readLines(file: string): string[] {
  if (!existsSync(file)) return [];
  // Only the head matters: the listening line comes early.
  return readFileSync(file, 'utf8').slice(0, 256 * 1024).split('\n');
}

export function logTail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no log)';
  const all = readFileSync(file, 'utf8').trimEnd().split('\n');
  return all.slice(-lines).map((l) => '  | ' + l.slice(0, 400)).join('\n');
}
