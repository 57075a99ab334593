// hoard started the way a user starts it (node dist/tracker/main.js,
// node dist/node/main.js), and the user's two flows: upload via
// POST /api/uploads then PUT to the signed node URL, download via /f/<id>
// → 302 → node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callJson } from '../../common/client.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { UploadResult, UploadTarget } from '../../common/protocol/types.js';
import { DOWNLOADS_UNLIMITED_ENV, HoardCluster } from '../../scripts/cluster/cluster.js';
import type { Proc, ProcessRegistry } from '../../scripts/cluster/processes.js';
import { BenchClient, getDiscard, postJson, put, type BodySource } from './http-client.js';
import { msSince } from './stats.js';

export interface Cluster {
  trackerUrl: string;
  nodeUrl: string;
  tracker: Proc;
  node: Proc;
  /** Every storage node, in the order started (node is the first). */
  nodes: Proc[];
  secretFile: string;
  stop(): Promise<void>;
}

/** A tracker alone (the index scenario fills its store first), in `dir`: data/ and tracker.log. */
export async function startTracker(procs: ProcessRegistry, root: string, dir: string, secretFile: string, name = 'tracker', args: string[] = []): Promise<{ proc: Proc; url: string }> {
  const c = new HoardCluster({
    dist: join(root, 'dist'),
    secretFile,
    logDir: dir,
    tracker: { name, data: join(dir, 'data'), logFile: join(dir, 'tracker.log'), args },
    nodes: [],
    processes: procs,
    // The bench measures the unpaced path: the download policy is lifted (docs/tiers.md).
    env: DOWNLOADS_UNLIMITED_ENV,
  });
  await c.start();
  return { proc: c.tracker.proc, url: c.trackerUrl };
}

/**
 * One tracker and two storage nodes in zones a and b, with a write quorum of
 * `ackCopies` (the replicate worker off, so only the pipeline makes copies).
 */
export async function startTwoZones(procs: ProcessRegistry, root: string, dir: string, ackCopies: number): Promise<Cluster> {
  const never = '0 0 1 1 *';
  const c = new HoardCluster({
    dist: join(root, 'dist'),
    secretFile: join(dir, 'secret'),
    logDir: dir,
    tracker: {
      name: 'tracker',
      data: join(dir, 'tracker', 'data'),
      logFile: join(dir, 'tracker', 'tracker.log'),
      args: ['--replicas', '2', '--ack-copies', String(ackCopies), '--replicate-schedule', never, '--repair-schedule', never, '--rebalance-schedule', never],
    },
    nodes: ['a', 'b'].map((zone) => ({ name: `node-${zone}`, data: join(dir, `node-${zone}`, 'data'), logFile: join(dir, `node-${zone}`, 'node.log'), zone })),
    processes: procs,
    readyTimeoutMs: 20_000,
    env: DOWNLOADS_UNLIMITED_ENV,
  });
  await c.start();
  // Both zones must be up, or the first upload would be placed under the quorum.
  await c.waitRegistered(c.nodes);
  await c.waitPlaceable();
  const node = c.nodes[0]!;
  return { trackerUrl: c.trackerUrl, nodeUrl: node.url, tracker: c.tracker.proc, node: node.proc, nodes: c.nodes.map((m) => m.proc), secretFile: c.spec.secretFile, stop: () => c.stop() };
}

/** One tracker and one storage node (zone a), ready to take an upload. */
export async function startCluster(procs: ProcessRegistry, root: string, dir: string): Promise<Cluster> {
  const c = new HoardCluster({
    dist: join(root, 'dist'),
    secretFile: join(dir, 'secret'),
    logDir: dir,
    tracker: { name: 'tracker', data: join(dir, 'tracker', 'data'), logFile: join(dir, 'tracker', 'tracker.log') },
    nodes: [{ name: 'node', data: join(dir, 'node1', 'data'), logFile: join(dir, 'node1', 'node.log'), zone: 'a' }],
    processes: procs,
    readyTimeoutMs: 20_000,
    env: DOWNLOADS_UNLIMITED_ENV,
  });
  await c.start();
  await c.waitPlaceable();
  const node = c.nodes[0]!;
  return { trackerUrl: c.trackerUrl, nodeUrl: node.url, tracker: c.tracker.proc, node: node.proc, nodes: c.nodes.map((m) => m.proc), secretFile: c.spec.secretFile, stop: () => c.stop() };
}

export interface Uploaded {
  result: UploadResult;
  /** From the POST to the tracker until the node's 201 arrived. */
  ms: number;
}

export async function hoardUpload(client: BenchClient, trackerUrl: string, filename: string, src: BodySource): Promise<Uploaded> {
  const started = process.hrtime.bigint();
  const size = 'buffer' in src ? src.buffer.length : src.size + (src.prefix?.length ?? 0);
  const t = await postJson(client, trackerUrl + '/api/uploads', { filename, size });
  if (t.status !== 200) throw new Error(`POST /api/uploads answered ${t.status}: ${JSON.stringify(t.json).slice(0, 300)}`);
  const target = t.json as UploadTarget;
  const r = await put(client, target.url, src);
  if (r.status !== 201) throw new Error(`PUT to the node answered ${r.status}: ${r.text.slice(0, 300)}`);
  return { result: JSON.parse(r.text) as UploadResult, ms: msSince(started) };
}

/**
 * Waits until the index lists blob `id` on `copies` nodes and resolves the
 * ms waited. Under ackCopies 1 the replicate worker makes the other copies
 * right after the 201: a race waits for them, so that work is not charged to
 * the next upload it times.
 */
export async function waitCopies(cluster: Cluster, id: string, copies: number, timeoutMs = 120_000): Promise<number> {
  const secret = readFileSync(cluster.secretFile, 'utf8').trim();
  const started = Date.now();
  for (;;) {
    const blobs = await callJson<Array<{ id: string; nodes: string[] }>>(cluster.trackerUrl, 'GET', `${TRACKER.adminBlobs}?limit=1000`, { secret });
    const blob = blobs.find((b) => b.id === id);
    if (blob && blob.nodes.length >= copies) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`blob ${id} still on ${blob?.nodes.length ?? 0} of ${copies} nodes after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GET /f/<id> at the tracker → the signed node URL from the 302. */
export async function resolveLink(client: BenchClient, link: string): Promise<string> {
  const r = await getDiscard(client, link);
  const loc = r.headers.location;
  if (r.status !== 302 || typeof loc !== 'string') throw new Error(`GET ${link} answered ${r.status}, not a 302 with a Location`);
  return new URL(loc, link).toString();
}

/** The whole download flow: /f/<id>, the redirect, the body (discarded). */
export async function hoardDownload(client: BenchClient, link: string): Promise<{ bytes: number; ms: number }> {
  const started = process.hrtime.bigint();
  const nodeUrl = await resolveLink(client, link);
  const r = await getDiscard(client, nodeUrl);
  if (r.status !== 200) throw new Error(`GET of the node URL answered ${r.status}`);
  return { bytes: r.bytes, ms: msSince(started) };
}

export function linkId(link: string): string {
  return new URL(link).pathname.split('/').pop()!;
}
