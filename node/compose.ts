// A storage node put together once, from its settings and its links to the
// tracker: chunk store, integrity, upload admission and publishing, resumable
// uploads, the worker pool, and the router and server over them. Every part
// is required; nothing here is optional for tests' sake (tests compose a
// real node, with a stand-in tracker).
import { mkdir } from 'node:fs/promises';
import type http from 'node:http';
import type { Logger } from 'pino';
import { KeyedLock } from '../common/keyed-lock.js';
import { DEFAULT_TIMEOUTS, type ServerTimeouts } from '../common/http.js';
import type { Router } from '../common/router.js';
import type { WorkerPool } from '../common/worker.js';
import type { NodeConfig } from './config.js';
import type { NodeContext } from './context.js';
import { loadNodeId } from './cluster/node-id.js';
import { trackerClient, type TrackerApi } from './cluster/tracker-client.js';
import { copiesClient, type CopiesApi } from './cluster/tracker-copies.js';
import { TrackerSet } from './cluster/tracker-set.js';
import { TrackerView } from './cluster/tracker-view.js';
import { NodeTakedowns } from './cluster/takedowns.js';
import { nodeCors } from './http/cors.js';
import type { NodeCaller } from './http/routes.js';
import { JobBook } from '../common/jobs.js';
import type { Integrity } from './integrity/integrity.js';
import { integrityParts } from './integrity/setup.js';
import { createNodeServer } from './server.js';
import { FileChunkStore } from './store/file-chunk-store.js';
import { TusService } from './tus/service.js';
import { TusStateStore } from './tus/state.js';
import { UploadAdmission } from './upload/admission.js';
import type { UploadLimits } from './upload/limits.js';
import { UploadPublisher } from './upload/publish.js';
import { PipelineFollower } from './upload/follower.js';
import type { PipelineDeps } from './upload/pipeline.js';
import { nodeWorkerPool, type NodeJobs } from './workers/pool.js';
import { Egress } from './egress/egress.js';
import { registerNodeMetrics } from './metrics.js';
import { parseWeights, policyClock } from '../common/policy-config.js';

/** The window the --min-upload-rate floor is averaged over. */
export const RATE_WINDOW_MS = 30_000;

/** The node's calls to the tracker. */
export interface TrackerLinks {
  tracker: TrackerApi;
  copies: CopiesApi;
}

export function trackerLinks(config: Pick<NodeConfig, 'tracker' | 'secret'>): TrackerLinks {
  const trackers = new TrackerSet(config.tracker);
  return { tracker: trackerClient(trackers, config.secret), copies: copiesClient(trackers, config.secret) };
}

export interface ComposeOptions extends TrackerLinks {
  log: Logger;
  /** Default RATE_WINDOW_MS. */
  rateWindowMs?: number;
  timeouts?: ServerTimeouts;
}

export interface ComposedNode {
  nodeId: string;
  ctx: NodeContext;
  store: FileChunkStore;
  integrity: Integrity;
  tus: TusService;
  workers: WorkerPool<NodeJobs>;
  router: Router<NodeCaller>;
  /** Not listening yet. */
  server: http.Server;
  /** Stops the workers (a long scrub stops between blobs). */
  stopWork(): Promise<void>;
  /** After the server closed: lets go of resumable writers (their bytes stay) and of the store. */
  close(): Promise<void>;
}

/** Opens the data directory and builds the node over it. */
export async function composeNode(config: NodeConfig, opts: ComposeOptions): Promise<ComposedNode> {
  const { log, copies } = opts;
  await mkdir(config.data, { recursive: true });
  const nodeId = await loadNodeId(config.data, config.id);
  const stopping = new AbortController();
  // The node's one set of per-blob locks: upload publishes, copy removal, copy-in and quarantine take turns on a blob.
  const locks = new KeyedLock();
  const parts = integrityParts({
    nodeId,
    signal: stopping.signal,
    log,
    copies,
    locks,
    settings: { scrubRate: config.scrubRate, orphanGraceMs: config.orphanGrace * 1000, quarantineKeepMs: config.quarantineKeep * 1000 },
    verifyCacheTtlS: config.verifyCacheTtl,
  });
  const store = new FileChunkStore({ dir: config.data, chunkSize: config.chunkSize, reserve: config.reserve, log, verifier: parts.verifier, onCorrupt: parts.onCorrupt });
  await store.open();
  const node = await assembleNode(config, { ...opts, nodeId, store, integrity: parts.assemble(store) });
  return {
    ...node,
    async stopWork() {
      stopping.abort();
      await node.workers.stop();
    },
  };
}

export interface AssembleParts extends ComposeOptions {
  nodeId: string;
  /** Open. */
  store: FileChunkStore;
  /** Over `store`, with the node's per-blob locks. */
  integrity: Integrity;
}

/**
 * Builds the rest of a node over an open store and its integrity machinery:
 * what composeNode does after opening the disk (a test that builds its store
 * with a verifier of its own starts here).
 */
export async function assembleNode(config: NodeConfig, parts: AssembleParts): Promise<Omit<ComposedNode, 'stopWork'>> {
  const { log, nodeId, store, integrity, tracker } = parts;
  const limits: UploadLimits = {
    maxUploadSize: config.maxUploadSize,
    reserve: config.reserve,
    minUploadRate: config.minUploadRate,
    rateWindowMs: parts.rateWindowMs ?? RATE_WINDOW_MS,
  };
  const admission = new UploadAdmission({ store, limits });
  const takedowns = new NodeTakedowns();
  const publisher = new UploadPublisher({ nodeId, store, tracker, takedowns, locks: integrity.locks, log });
  const pipelineDeps: PipelineDeps = { nodeId, secret: config.secret, tracker, log };
  const follower = new PipelineFollower({ store, admission, limits, locks: integrity.locks, log });
  // Resumable uploads survive restarts: their states and bytes are loaded, not cleaned.
  const tus = new TusService({
    nodeId,
    store,
    states: new TusStateStore(store.resumableRoot),
    tracker,
    admission,
    publisher,
    pipeline: pipelineDeps,
    limits,
    expiryMs: config.uploadExpiry * 1000,
    openCaps: { total: config.maxOpenUploads, perClient: config.maxOpenUploadsPerClient },
    log,
    now: Date.now,
  });
  await tus.load();
  const workers = nodeWorkerPool({ integrity, tus }, { scrub: config.scrubSchedule, orphans: config.orphanSchedule, uploadExpiryS: config.uploadExpiry }, log);
  registerNodeMetrics();
  const egress = new Egress({
    uplinkRate: config.uplinkRate,
    weights: parseWeights(config.uplinkWeights, 'uplinkWeights'),
    minShare: config.uplinkMinShare / 100,
    policyNow: policyClock(config.testClock),
  });
  const ctx: NodeContext = {
    nodeId,
    secret: config.secret,
    egress,
    store,
    log,
    limits,
    admission,
    publisher,
    pipelineDeps,
    follower,
    stats: { inFlight: 0 },
    tus,
    integrity,
    trackerView: new TrackerView(),
    takedowns,
    workers,
    jobs: new JobBook(),
  };
  const { server, router } = createNodeServer(ctx, {
    cors: nodeCors(config.corsOrigins),
    timeouts: parts.timeouts ?? { ...DEFAULT_TIMEOUTS, bodyMs: config.bodyTimeout },
    metricsToken: config.metricsTokenFile || undefined,
  });
  return {
    nodeId,
    ctx,
    store,
    integrity,
    tus,
    workers,
    router,
    server,
    async close() {
      await follower.close();
      await tus.close();
      await store.close();
    },
  };
}
