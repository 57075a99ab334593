// A real hoard cluster for end-to-end tests: the compiled tracker and nodes
// as child processes on 127.0.0.1 (port 0), each with a fresh data folder,
// plus the admin CLI and signed calls to the tracker's internal routes.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fse from 'fs-extra';
import { DOWNLOADS_UNLIMITED_ENV, HoardCluster, type Member } from '../../scripts/cluster/cluster.js';
import type { Proc } from '../../scripts/cluster/processes.js';
import { callJson } from '../../common/client.js';
import type { BlobIdentity, ClusterStats, LinkInfo, NodeStatus } from '../../common/protocol/types.js';
import { TRACKER } from '../../common/protocol/routes.js';
import { signUploadUrl } from '../../common/sign.js';
import { atExit, describeRun, run, type RunResult } from './proc.js';
import { REPO_ROOT } from './repo-root.js';

export const ROOT = REPO_ROOT;
export const BIN = {
  tracker: join(ROOT, 'dist', 'tracker', 'main.js'),
  node: join(ROOT, 'dist', 'node', 'main.js'),
  client: join(ROOT, 'dist', 'client', 'main.js'),
  admin: join(ROOT, 'dist', 'tracker', 'cli', 'main.js'),
} as const;

/** Why the cluster cannot start (the build is missing), or undefined when it can. */
export function missingBuild(): string | undefined {
  const missing = [BIN.tracker, BIN.node].filter((p) => !existsSync(p));
  return missing.length ? `not built: ${missing.join(', ')} (run npx tsc -p .)` : undefined;
}

/** A blob as the tracker lists it. */
export interface BlobRecord extends BlobIdentity {
  id: string;
  chunkSize: number;
  nodes: string[];
  refs?: number;
}

export interface NodeSpec {
  zone?: string;
  /** Extra flags for this node only. */
  args?: string[];
  /** Use this folder (e.g. a small tmpfs) instead of a fresh one; it is not removed. */
  dataDir?: string;
  /** Passed as --public-url (e.g. a proxy in front of the node). */
  publicUrl?: string;
}

export interface ClusterOptions {
  nodes: NodeSpec[];
  chunkSize?: number | string;
  /** Extra flags for every node. */
  nodeArgs?: string[];
  trackerArgs?: string[];
  /**
   * The tracker's --replicas. Default 1: most tests look at one copy (dedup
   * on disk, placement); replication tests ask for 2.
   */
  replicas?: number;
  /** Trackers beside the first, on the same flags (a shared --meta postgres://…); every node is given all of them. */
  moreTrackers?: number;
  /** Listen on this tracker port instead of any free one (a restarted tracker must come back where nodes expect it). */
  trackerPort?: number;
  /** Wait until every node is "up" at the tracker (default true). */
  waitUp?: boolean;
}

export interface ClusterNode {
  readonly index: number;
  readonly id: string;
  readonly zone: string;
  readonly dataDir: string;
  /** The URL the node announced (its public URL). */
  readonly url: string;
  /** http://127.0.0.1:<port>, whatever the public URL is. */
  readonly directUrl: string;
  readonly port: number;
  readonly proc: Proc;
  readonly running: boolean;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the node if it runs, starts it again on the same data, and waits until it is up. */
  restart(): Promise<void>;
}

export interface Cluster {
  readonly root: string;
  readonly trackerUrl: string;
  readonly secret: string;
  readonly tracker: { readonly proc: Proc; readonly url: string; readonly port: number; readonly dataDir: string };
  /** Every tracker, the first included (moreTrackers). */
  readonly trackers: readonly Member[];
  /** Stops the tracker with `signal` and starts it again on the same data, port and flags. */
  restartTracker(signal?: NodeJS.Signals): Promise<void>;
  readonly nodes: ClusterNode[];
  /** Runs hoard-admin with --json and returns its parsed output (throws on a non-zero exit). */
  admin<T = unknown>(args: string[]): Promise<T>;
  /** Runs hoard-admin as is (no --json added), for checks on its exit code and text. */
  adminRun(args: string[]): Promise<RunResult>;
  /** A signed call to the tracker (internal routes included). */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  nodeStatuses(): Promise<NodeStatus[]>;
  stats(): Promise<ClusterStats>;
  blobs(): Promise<BlobRecord[]>;
  links(): Promise<LinkInfo[]>;
  waitUp(nodes?: ClusterNode[]): Promise<void>;
  /** A PUT URL signed for `node` directly, bypassing placement. */
  signUpload(node: ClusterNode, filename: string, ttlSeconds?: number): string;
  /** The hoard CLI with this tracker in its environment. */
  client(args: string[], timeoutMs?: number): Promise<RunResult>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

class NodeProcess implements ClusterNode {
  constructor(
    readonly index: number,
    readonly id: string,
    readonly zone: string,
    readonly dataDir: string,
    private readonly member: Member,
    private readonly waitUp: (n: ClusterNode[]) => Promise<void>,
  ) {}

  get proc(): Proc {
    return this.member.proc;
  }

  get url(): string {
    return this.member.url;
  }

  get port(): number {
    return this.member.port;
  }

  get directUrl(): string {
    return `http://127.0.0.1:${this.member.port}`;
  }

  get running(): boolean {
    return this.member.running;
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.member.kill(signal);
  }

  async restart(): Promise<void> {
    await this.member.restart('SIGTERM');
    await this.waitUp([this]);
  }
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const why = missingBuild();
  if (why) throw new Error(why);
  const root = await mkdtemp(join(tmpdir(), 'hoard-cluster-'));
  const cancelExitCleanup = atExit(() => fse.removeSync(root));
  const nodeSpecs = opts.nodes.map((spec, i) => ({
    name: `node-${i}`,
    id: `n${i}-${randomBytes(3).toString('hex')}`,
    zone: spec.zone ?? 'default',
    data: spec.dataDir ?? join(root, `node-${i}`),
    host: '127.0.0.1',
    publicUrl: spec.publicUrl,
    args: [...(opts.chunkSize !== undefined ? ['--chunk-size', String(opts.chunkSize)] : []), ...(opts.nodeArgs ?? []), ...(spec.args ?? [])],
  }));
  const trackerArgs = ['--replicas', String(opts.replicas ?? 1), ...(opts.trackerArgs ?? [])];
  const hc = new HoardCluster({
    dist: join(ROOT, 'dist'),
    secretFile: join(root, 'secret'),
    metricsTokenFile: join(root, 'metrics-token'),
    logDir: join(root, 'logs'),
    tracker: {
      name: 'tracker', data: join(root, 'tracker'), port: opts.trackerPort ?? 0, host: '127.0.0.1',
      args: trackerArgs,
    },
    moreTrackers: Array.from({ length: opts.moreTrackers ?? 0 }, (_, i) => ({ name: `tracker-${i + 1}`, data: join(root, `tracker-${i + 1}`), port: 0, host: '127.0.0.1', args: trackerArgs })),
    nodes: nodeSpecs,
    // Tests of the download policy pass its flags; the others download freely.
    env: { HOARD_LOG_LEVEL: 'info', ...DOWNLOADS_UNLIMITED_ENV },
  });
  const nodes: NodeProcess[] = [];
  const waitUp = (which: ClusterNode[] = nodes): Promise<void> =>
    hc.waitRegistered(which.map((n) => hc.nodes[n.index]!));
  for (const [i, spec] of nodeSpecs.entries()) nodes.push(new NodeProcess(i, spec.id, spec.zone, spec.data, hc.nodes[i]!, waitUp));

  const stop = async (): Promise<void> => {
    await hc.stop();
    cancelExitCleanup();
    await fse.remove(root);
  };
  const logTail = (lines = 60): string => hc.logTail(lines);

  try {
    await hc.start();
    if (opts.waitUp !== false) await waitUp();
  } catch (err) {
    const logs = logTail(30);
    await stop();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }

  const secret = hc.secret;
  const api = <T>(method: string, path: string, body?: unknown): Promise<T> => callJson<T>(hc.trackerUrl, method, path, { secret, body });
  const adminEnv = { ...process.env, HOARD_TRACKER: hc.trackerUrl, HOARD_SECRET: secret, HOARD_LOG_LEVEL: 'warn' };
  const adminRun = (args: string[]) => run(process.execPath, [BIN.admin, ...args], { env: adminEnv, timeoutMs: 20_000 });

  const tracker = hc.tracker;
  const trackerView = { proc: tracker.proc, url: tracker.url, port: tracker.port, dataDir: tracker.spec.data };
  return {
    root,
    trackerUrl: tracker.url,
    secret,
    tracker: trackerView,
    trackers: hc.trackers,
    async restartTracker(signal: NodeJS.Signals = 'SIGTERM') {
      if (!opts.trackerPort) throw new Error('restartTracker needs a fixed trackerPort');
      await tracker.restart(signal);
      trackerView.proc = tracker.proc;
    },
    nodes,
    async admin<T>(args: string[]): Promise<T> {
      const r = await adminRun([...args, '--json']);
      if (r.code !== 0) throw new Error(`hoard-admin ${args.join(' ')} --json failed: ${describeRun(r)}`);
      try {
        return JSON.parse(r.stdout) as T;
      } catch {
        throw new Error(`hoard-admin ${args.join(' ')} --json printed no JSON: ${r.stdout.slice(0, 300)}`);
      }
    },
    adminRun,
    api,
    nodeStatuses: () => api<NodeStatus[]>('GET', TRACKER.adminNodes),
    stats: () => api<ClusterStats>('GET', TRACKER.adminStats),
    blobs: () => api<BlobRecord[]>('GET', `${TRACKER.adminBlobs}?limit=1000`),
    links: () => api<LinkInfo[]>('GET', `${TRACKER.adminLinks}?limit=1000`),
    waitUp,
    signUpload(node, filename, ttlSeconds = 600) {
      const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
      const uploadId = randomBytes(16).toString('base64url');
      return signUploadUrl(secret, `${node.directUrl}/upload/${encodeURIComponent(filename)}`, filename, exp, { uploadId, node: node.id, size: undefined });
    },
    client: (args, timeoutMs = 60_000) =>
      run(process.execPath, [BIN.client, ...args], {
        env: { ...process.env, HOARD_TRACKER: tracker.url, HOARD_LOG_LEVEL: 'warn' },
        timeoutMs,
      }),
    logTail,
    stop,
  };
}

interface TeardownHost {
  teardown(fn: () => unknown): void;
  passing(): boolean;
}

/** startCluster, stopped in t's teardown, with the daemons' last log lines printed when t failed. */
export async function useCluster(t: TeardownHost, opts: ClusterOptions): Promise<Cluster> {
  const c = await startCluster(opts);
  t.teardown(async () => {
    if (!t.passing()) process.stderr.write(`\n${c.logTail(40)}\n`);
    await c.stop();
  });
  return c;
}

export { freePort } from '../../common/http.js';
