// A hoard cluster on this machine: the compiled tracker and storage nodes as
// child processes, each with its data folder, log file and flags, sharing one
// secret file. `npm start`, the end-to-end tests and the bench all start
// their clusters here.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fse from 'fs-extra';
import { callJson } from '../../common/client.js';
import { TRACKER } from '../../common/protocol/routes.js';
import { type NodeStatus } from '../../common/protocol/types.js';
import { ensureSecretFile } from '../../common/secret.js';
import { ProcessRegistry, startDaemon, type ExitInfo, type Proc } from './processes.js';

/** The compiled entry points, under a build folder (dist/). */
export function binaries(dist: string): { tracker: string; node: string } {
  return { tracker: join(dist, 'tracker', 'main.js'), node: join(dist, 'node', 'main.js') };
}

/** Keys the launcher sets per process by flag, or that must differ between processes. */
const CHILD_ENV_DROP = ['HOARD_SECRET', 'HOARD_ID', 'HOARD_PUBLIC_URL', 'HOARD_HOST', 'HOARD_PORT', 'HOARD_DATA', 'HOARD_TRACKER', 'HOARD_ZONE', 'HOARD_BASE_PORT'];

/**
 * The download policy lifted (no rate cap, no one-file-at-a-time): for the
 * tests and bench runs that measure something else, and download many files
 * at once from one address. Flags still win over it.
 */
export const DOWNLOADS_UNLIMITED_ENV: Readonly<NodeJS.ProcessEnv> = {
  HOARD_DOWNLOAD_RATE_ANONYMOUS: '0',
  HOARD_DOWNLOAD_RATE_FREE: '0',
  HOARD_DOWNLOAD_ONE_AT_A_TIME: '',
};

export interface DaemonSpec {
  /** Names its log file (`<logDir>/<name>.log`) and its messages. */
  name: string;
  data: string;
  /** 0 (the default): any free port, taken again on a restart; a fixed port is kept across restarts. */
  port?: number;
  host?: string;
  /** Further flags. */
  args?: string[];
  /** Instead of `<logDir>/<name>.log`. */
  logFile?: string;
}

export interface NodeSpec extends DaemonSpec {
  zone?: string;
  id?: string;
  publicUrl?: string;
}

export interface ClusterSpec {
  /** The build folder with tracker/main.js and node/main.js. */
  dist: string;
  /** Created with a fresh secret unless it exists; every daemon reads it. */
  secretFile: string;
  /** Created with a fresh token unless it exists; every daemon takes it as --metrics-token-file (a scraper's bearer token). */
  metricsTokenFile?: string;
  logDir: string;
  tracker: DaemonSpec;
  /** Further trackers on the same metadata store (PostgreSQL): every node is given every tracker. */
  moreTrackers?: DaemonSpec[];
  nodes: NodeSpec[];
  /** Added to the daemons' environment. */
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  /** Where the processes are registered (default: one registry for this cluster). */
  processes?: ProcessRegistry;
  /** Called as each daemon logs that it listens. */
  onListening?: (m: Member) => void;
}

/** One daemon of the cluster: its flags stay, its process changes on a restart. */
export class Member {
  private current: Proc | undefined;

  constructor(
    readonly spec: DaemonSpec | NodeSpec,
    private readonly launch: (m: Member) => Promise<Proc>,
    private readonly onListening?: (m: Member) => void,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** The running (or last) process. */
  get proc(): Proc {
    if (!this.current) throw new Error(`${this.name} was never started`);
    return this.current;
  }

  get started(): boolean {
    return this.current !== undefined;
  }

  get running(): boolean {
    return this.current?.running ?? false;
  }

  /** The URL it announced (its public URL). */
  get url(): string {
    return this.proc.url;
  }

  get port(): number {
    return this.proc.port;
  }

  async start(): Promise<void> {
    this.current = await this.launch(this);
    this.onListening?.(this);
  }

  /** Sends `signal` by pid and waits for the exit (nothing when it is not running). */
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<ExitInfo | undefined> {
    return this.current?.running ? this.current.kill(signal, graceMs) : undefined;
  }

  /** Stops it if it runs and starts it again with the same flags: same data, same port flag. */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.kill(signal);
    await this.start();
  }
}

export class HoardCluster {
  readonly tracker: Member;
  /** The first tracker, then the others. */
  readonly trackers: Member[];
  readonly nodes: Member[];
  readonly processes: ProcessRegistry;
  private secretValue: string | undefined;

  constructor(readonly spec: ClusterSpec) {
    this.processes = spec.processes ?? new ProcessRegistry();
    const bin = binaries(spec.dist);
    this.trackers = [spec.tracker, ...(spec.moreTrackers ?? [])].map((d) => new Member(d, (m) => this.launch(m, bin.tracker, this.trackerArgs(m.spec)), spec.onListening));
    this.tracker = this.trackers[0]!;
    this.nodes = spec.nodes.map((n) => new Member(n, (m) => this.launch(m, bin.node, this.nodeArgs(m.spec as NodeSpec)), spec.onListening));
  }

  /** The cluster secret (once started). */
  get secret(): string {
    if (this.secretValue === undefined) throw new Error('the cluster was not started');
    return this.secretValue;
  }

  get trackerUrl(): string {
    return this.tracker.url;
  }

  /**
   * Creates the folders and the secret file, starts the tracker, then every
   * node at once. It does not wait for the nodes to register: see
   * waitRegistered and waitPlaceable. On failure, what started keeps
   * running: read its logs, then call stop().
   */
  async start(): Promise<void> {
    const s = this.spec;
    for (const d of [s.logDir, ...this.trackers.map((m) => m.spec.data), ...s.nodes.map((n) => n.data)]) await fse.ensureDir(d);
    this.secretValue = ensureSecretFile(s.secretFile);
    if (s.metricsTokenFile !== undefined) ensureSecretFile(s.metricsTokenFile);
    // One after the other: the first brings the store's schema up to date.
    for (const t of this.trackers) await t.start();
    await Promise.all(this.nodes.map((n) => n.start()));
  }

  /** The tracker's view of its nodes. */
  nodeStatuses(): Promise<NodeStatus[]> {
    return callJson<NodeStatus[]>(this.trackerUrl, 'GET', TRACKER.adminNodes, { secret: this.secret, timeoutMs: 5_000 });
  }

  /** Until the tracker lists each of `nodes` as up at the URL it announced (and with its id, when it was given one). */
  async waitRegistered(nodes: Member[] = this.nodes, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 20_000;
    const registered = async () => {
      const list = await this.nodeStatuses();
      return nodes.every((n) => {
        const id = (n.spec as NodeSpec).id;
        return list.some((s) => s.state === 'up' && s.publicUrl.replace(/\/$/, '') === n.url && (id === undefined || s.id === id));
      });
    };
    await poll(`nodes ${nodes.map((n) => n.name).join(', ')} up at the tracker`, registered, timeoutMs, opts.intervalMs ?? 150);
  }

  /** Until the tracker offers an upload target (a node registered with room). */
  async waitPlaceable(timeoutMs = 30_000): Promise<void> {
    const offered = async () => {
      await callJson<unknown>(this.trackerUrl, 'POST', TRACKER.uploadTarget, { body: { filename: 'probe', size: 1 }, timeoutMs: 5_000 });
      return true;
    };
    await poll('an upload target from the tracker (node not registered?)', offered, timeoutMs, 100);
  }

  /** The last log lines of every daemon started, for a failure message. */
  logTail(lines = 60): string {
    return [...this.trackers, ...this.nodes]
      .filter((m) => m.started)
      .map((m) => `--- ${m.name} (pid ${m.proc.pid}) ---\n${m.proc.tail(lines)}`)
      .join('\n');
  }

  /** The nodes first (SIGTERM, at once), then the trackers. */
  async stop(graceMs = 5_000): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill('SIGTERM', graceMs)));
    await Promise.all(this.trackers.map((t) => t.kill('SIGTERM', graceMs)));
  }

  private launch(m: Member, script: string, args: string[]): Promise<Proc> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of CHILD_ENV_DROP) delete env[k];
    return startDaemon({
      name: m.name,
      script,
      args,
      logFile: m.spec.logFile ?? join(this.spec.logDir, `${m.name}.log`),
      env: { ...env, ...this.spec.env },
      readyTimeoutMs: this.spec.readyTimeoutMs,
      processes: this.processes,
    });
  }

  private common(d: DaemonSpec): string[] {
    const metrics = this.spec.metricsTokenFile === undefined ? [] : ['--metrics-token-file', this.spec.metricsTokenFile];
    return ['--data', d.data, '--port', String(d.port ?? 0), ...(d.host ? ['--host', d.host] : []), '--secret-file', this.spec.secretFile, ...metrics];
  }

  private trackerArgs(d: DaemonSpec): string[] {
    return [...this.common(d), ...(d.args ?? [])];
  }

  private nodeArgs(n: NodeSpec): string[] {
    return [
      '--tracker', this.trackers.map((t) => t.url).join(','), ...this.common(n),
      ...(n.zone ? ['--zone', n.zone] : []),
      ...(n.id ? ['--id', n.id] : []),
      ...(n.publicUrl ? ['--public-url', n.publicUrl] : []),
      ...(n.args ?? []),
    ];
  }
}

async function poll(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}
