// Every process the launcher starts: output to a log file of its own, stopped
// by its pid (SIGTERM, then SIGKILL after a grace period, with any children it
// left behind), and killed when this process exits, however it exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fse from 'fs-extra';
import { LogReader, tailLines } from './log-file.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Where a server said it listens (its pino "listening" line). */
export interface Listening {
  port: number;
  url: string;
}

export interface SpawnOptions {
  cwd?: string;
  /** The whole environment of the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Keep stdout/stderr in memory instead of a log file (short-lived tools such as wrk). */
  capture?: boolean;
}

const LISTEN_POLL_MS = 25;

// Killed on exit, whoever started them: a test or a bench that crashes must
// not leave servers behind.
const everyLive = new Set<Proc>();
process.on('exit', () => {
  for (const p of everyLive) p.killNow();
});

export class Proc {
  readonly exited: Promise<ExitInfo>;
  private exit: ExitInfo | undefined;
  private readonly log: LogReader;
  private listening: Listening | undefined;
  private readonly captured = { out: '', err: '' };

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly pid: number,
    readonly logFile: string,
    private readonly logStart: number,
  ) {
    this.log = new LogReader(logFile, logStart);
    this.exited = new Promise((resolve) => {
      child.on('error', () => undefined);
      // 'close' comes after the exit and the last output.
      child.once('close', (code, signal) => {
        this.exit = { code, signal };
        everyLive.delete(this);
        resolve(this.exit);
      });
    });
  }

  /**
   * Starts `cmd args` with stdout and stderr appended to `logFile` (its folder
   * is created). Throws at once when the command cannot be started.
   */
  static spawn(name: string, cmd: string, args: string[], logFile: string, opts: SpawnOptions = {}): Proc {
    let fd: number | undefined;
    let start = 0;
    if (!opts.capture) {
      fse.ensureDirSync(dirname(logFile));
      fd = openSync(logFile, 'a');
      start = fstatSync(fd).size;
    }
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
    });
    if (fd !== undefined) closeSync(fd);
    // spawn failures (ENOENT) arrive as an 'error' event later; a missing pid says so now.
    if (child.pid === undefined) throw new Error(`cannot start ${name} (${cmd})`);
    const p = new Proc(name, child, child.pid, logFile, start);
    if (opts.capture) {
      child.stdout!.setEncoding('utf8').on('data', (s: string) => (p.captured.out += s));
      child.stderr!.setEncoding('utf8').on('data', (s: string) => (p.captured.err += s));
    }
    everyLive.add(p);
    return p;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The exit code, or the name of the signal that ended it; undefined while it runs. */
  get exitCode(): number | string | undefined {
    return this.exit ? (this.exit.code ?? this.exit.signal ?? -1) : undefined;
  }

  /** The port from the "listening" line (0 before it came). */
  get port(): number {
    return this.listening?.port ?? 0;
  }

  /** The URL from the "listening" line, without a trailing slash ('' before it came). */
  get url(): string {
    return this.listening?.url ?? '';
  }

  /** Every line the process wrote to its log so far. */
  get lines(): string[] {
    this.log.poll();
    return this.log.lines;
  }

  /** Its JSON log records so far (other lines skipped). */
  records(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const l of this.lines) {
      const r = parseJsonLine(l);
      if (r) out.push(r);
    }
    return out;
  }

  /** Its last `n` log lines, one string. */
  tail(n = 15): string {
    return tailLines(this.logFile, n, this.logStart).join('\n');
  }

  /** What a captured process printed. */
  output(): { out: string; err: string } {
    return this.captured;
  }

  /** Waits for the pino "listening" line; fails early, with the log's end, if the process exits. */
  async waitForListening(timeoutMs = 30_000): Promise<Listening> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.listening) return this.listening;
      for (const line of this.log.poll()) {
        const rec = line.includes('"listening"') ? parseJsonLine(line) : undefined;
        if (rec?.msg !== 'listening' || typeof rec.port !== 'number') continue;
        this.listening = { port: rec.port, url: typeof rec.url === 'string' ? rec.url.replace(/\/$/, '') : `http://127.0.0.1:${rec.port}` };
        return this.listening;
      }
      if (!this.running) throw new Error(`${this.name} exited (${this.exitCode}) before listening`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not log "listening" within ${timeoutMs / 1000} s`);
      await sleep(LISTEN_POLL_MS);
    }
  }

  /**
   * Sends `signal` by pid and waits for the exit; SIGKILL after `graceMs`
   * (after calling `onLinger`). Children it leaves behind (nginx workers) are killed too.
   */
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000, onLinger?: (p: Proc) => void): Promise<ExitInfo> {
    if (this.exit) return this.exit;
    const kids = descendants(this.pid);
    signalPid(this.pid, signal);
    const timer = setTimeout(() => {
      if (!this.running) return;
      onLinger?.(this);
      signalPid(this.pid, 'SIGKILL');
    }, graceMs);
    const info = await this.exited;
    clearTimeout(timer);
    for (const k of kids) signalPid(k, 'SIGKILL');
    return info;
  }

  /** SIGKILL to it and its children at once, without waiting (for exit handlers). */
  killNow(): void {
    if (!this.running) return;
    for (const k of descendants(this.pid)) signalPid(k, 'SIGKILL');
    signalPid(this.pid, 'SIGKILL');
  }
}

/** The processes of one run (a cluster, a bench): started, stopped and killed together. */
export class ProcessRegistry {
  private readonly live = new Set<Proc>();
  /** Set once the run is ending: nothing new may start after the last stop. */
  private closed = false;

  spawn(name: string, cmd: string, args: string[], logFile: string, opts: SpawnOptions = {}): Proc {
    if (this.closed) throw new Error(`not starting ${name}: the processes are being stopped`);
    const p = Proc.spawn(name, cmd, args, logFile, opts);
    this.live.add(p);
    void p.exited.then(() => this.live.delete(p));
    return p;
  }

  /** What a captured process printed. */
  output(p: Proc): { out: string; err: string } {
    return p.output();
  }

  async stop(p: Proc, graceMs = 5_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await p.kill(signal, graceMs);
  }

  /** SIGTERM to every live process at once, SIGKILL to those still there after `graceMs`. */
  async stopAll(graceMs = 5_000, onLinger?: (p: Proc) => void): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live].map((p) => p.kill('SIGTERM', graceMs, onLinger)));
  }

  /** SIGKILL to every live process now (a second Ctrl-C, an exit handler). */
  killAllSync(): void {
    for (const p of this.live) p.killNow();
  }
}

export interface DaemonOptions {
  name: string;
  script: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /**
   * A command that runs node for us, e.g. ['ip', 'netns', 'exec', NS]: it
   * must exec (not fork) so the pid stays the daemon's and signals reach it.
   */
  wrap?: string[];
  readyTimeoutMs?: number;
  processes?: ProcessRegistry;
}

/**
 * Starts `node script ...args` (a hoard daemon, or any server with a pino
 * "listening" line) and resolves once it logged that it listens.
 */
export async function startDaemon(opts: DaemonOptions): Promise<Proc> {
  const argv = [...(opts.wrap ?? []), process.execPath, opts.script, ...opts.args];
  const spawnIt = opts.processes ? opts.processes.spawn.bind(opts.processes) : Proc.spawn;
  const p = spawnIt(opts.name, argv[0]!, argv.slice(1), opts.logFile, { env: opts.env });
  try {
    await p.waitForListening(opts.readyTimeoutMs);
  } catch (err) {
    await p.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- ${opts.name} output (${opts.logFile}) ---\n${p.tail(40)}`);
  }
  return p;
}

/** Polls a process's log for its "listening" line (the bench's servers). */
export function waitForListening(p: Proc, timeoutMs = 20_000): Promise<Listening> {
  return p.waitForListening(timeoutMs);
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
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

/** Pids whose parent chain leads to `pid`, from /proc (Linux). */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  let names: string[] = [];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name, which is in parentheses and may hold spaces.
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
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
