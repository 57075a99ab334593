// Carries out what repair-plan.ts and rebalance-plan.ts decide: node-to-node
// copies (the target copies from the source and keeps the blob only if every
// chunk verifies), drops and forgets, each re-checked against the index
// before anything moves. Knows which tasks are running (the planners leave
// those blobs alone) and keeps running totals.
import type { Logger } from 'pino';
import type { CopyFromAnswer } from '../../common/protocol/integrity.js';
import { NODE } from '../../common/protocol/routes.js';
import type { BlobManifest, RepairStatus } from '../../common/protocol/types.js';
import { signUrl } from '../../common/sign.js';
import type { NodeApiFactory } from '../cluster/node-client.js';
import type { Topology } from '../cluster/topology.js';
import type { TrackerConfig } from '../config.js';
import { changeHolders, restoreCopy } from '../meta/operations.js';
import type { MetaStore } from '../meta/store.js';
import { trackerMetrics } from '../metrics.js';
import type { RepairTask } from './repair-plan.js';

/** How long a copy may take beyond what its rate allows, and the rate assumed when unthrottled. */
const COPY_SLACK_MS = 120_000;
const UNTHROTTLED_ESTIMATE = 20 * 1024 * 1024;

export interface ExecutorDeps {
  config: TrackerConfig;
  store: MetaStore;
  topology: Topology;
  log: Logger;
  now: () => number;
  /** Calls to nodes' /internal/blobs API. */
  nodeApi: NodeApiFactory;
}

export interface TaskReport {
  copied: number;
  /** ...of which bad copies re-made in place. */
  repaired: number;
  copyFailures: number;
  bytesCopied: number;
  dropped: number;
  forgotten: number;
  skipped: number;
}

export type Totals = RepairStatus['totals'];

interface Running {
  kind: RepairTask['kind'];
  /** Which execute() call started it: plans made at once by two workers may overlap. */
  batch?: number;
  blob: string;
  size?: number;
  source?: string;
  target?: string;
  node?: string;
  since: number;
}

const emptyReport = (): TaskReport => ({ copied: 0, repaired: 0, copyFailures: 0, bytesCopied: 0, dropped: 0, forgotten: 0, skipped: 0 });

export class Executor {
  private readonly counted: Totals = { copied: 0, copyFailures: 0, bytesCopied: 0, dropped: 0, forgotten: 0, adopted: 0 };
  private readonly running = new Map<string, Running>();
  private batches = 0;

  constructor(private readonly deps: ExecutorDeps) {}

  /** Running totals since start. */
  totals(): Totals {
    return { ...this.counted };
  }

  /** A copy found on a node and listed as a holder (reconcile, fsck). */
  adopted(): void {
    this.counted.adopted++;
  }

  /** Blobs with a task running: the planners leave them alone. */
  busy(): Set<string> {
    return new Set([...this.running.values()].map((r) => r.blob));
  }

  /** Bytes on their way to each node. */
  pendingBytes(): Map<string, number> {
    const m = new Map<string, number>();
    for (const r of this.running.values()) if (r.kind === 'copy' && r.target) m.set(r.target, (m.get(r.target) ?? 0) + (r.size ?? 0));
    return m;
  }

  /** The tasks running now, as the admin sees them. */
  inFlight(): RepairStatus['inFlight'] {
    return [...this.running.values()].map((r) => ({
      kind: r.kind,
      blob: r.blob,
      ...(r.source ? { source: r.source } : {}),
      ...(r.target ? { target: r.target } : {}),
      ...(r.node ? { node: r.node } : {}),
      since: new Date(r.since).toISOString(),
    }));
  }

  /** Runs copies `replicationConcurrency` at a time; drops and forgets are metadata-first and quick. */
  async execute(tasks: readonly RepairTask[]): Promise<TaskReport> {
    const report = emptyReport();
    const batch = ++this.batches;
    const quick = tasks.filter((t) => t.kind !== 'copy');
    const copies = tasks.filter((t): t is Extract<RepairTask, { kind: 'copy' }> => t.kind === 'copy');
    for (const t of quick) {
      if (t.kind === 'drop') report[(await this.drop(t.blob, t.node, t.why)) ? 'dropped' : 'skipped']++;
      else if (t.kind === 'forget') report[(await this.forget(t.blob, t.node)) ? 'forgotten' : 'skipped']++;
    }
    let next = 0;
    const runner = async () => {
      while (next < copies.length) {
        const t = copies[next++]!;
        const r = await this.copy(t, batch);
        if (r === undefined) report.skipped++;
        else if (r < 0) report.copyFailures++;
        else {
          report.copied++;
          if (t.why === 'bad') report.repaired++;
          report.bytesCopied += r;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.config.replicationConcurrency, copies.length) }, runner));
    return report;
  }

  private track(r: Omit<Running, 'since'>): () => void {
    const key = `${r.kind}:${r.blob}:${r.target ?? r.node ?? ''}`;
    this.running.set(key, { ...r, since: this.deps.now() });
    trackerMetrics.replicasInFlight().set([...this.running.values()].filter((x) => x.kind === 'copy').length);
    return () => {
      this.running.delete(key);
      trackerMetrics.replicasInFlight().set([...this.running.values()].filter((x) => x.kind === 'copy').length);
    };
  }

  /**
   * Bytes copied; -1 on failure; undefined when the task no longer applies.
   * The one transfer of every copy (replication, repair of a lost or a bad
   * copy, rebalance): the target copies from a signed URL on the source and
   * keeps the blob only if it matches the manifest chunk for chunk.
   */
  async copy(t: Extract<RepairTask, { kind: 'copy' }>, batch = 0): Promise<number | undefined> {
    const { store, topology, config, log } = this.deps;
    // Another worker's plan is already copying this blob: its result will be seen by the next plan.
    for (const r of this.running.values()) if (r.kind === 'copy' && r.blob === t.blob && (r.batch !== batch || r.target === t.target)) return undefined;
    const done = this.track({ kind: 'copy', blob: t.blob, size: t.size, source: t.source, target: t.target, batch });
    try {
      const blob = await store.blobs.get(t.blob);
      const chunks = await store.blobs.chunks(t.blob);
      const src = topology.get(t.source);
      const dst = topology.get(t.target);
      // The index may have moved on since the plan: check again before moving bytes.
      if (!blob || !chunks || !blob.nodes.includes(t.source) || blob.nodes.includes(t.target)) return undefined;
      if (!src || src.state !== 'up' || !dst || dst.state !== 'up' || dst.draining) return undefined;
      const manifest: BlobManifest = { id: blob.id, md5: blob.md5, sha256: blob.sha256, size: blob.size, chunkSize: blob.chunkSize, chunks, created: blob.created };
      const rate = config.replicationRate;
      const expectMs = (blob.size / (rate > 0 ? rate : UNTHROTTLED_ESTIMATE)) * 1000;
      const exp = Math.floor((this.deps.now() + 2 * expectMs + COPY_SLACK_MS) / 1000) + 60;
      const source = signUrl(config.secret, src.publicUrl + NODE.blob + blob.id, { verb: 'GET', resource: blob.id, exp, extra: '' });
      const started = this.deps.now();
      let res: CopyFromAnswer;
      try {
        res = await this.deps.nodeApi(dst).copyFrom(blob.id, { source, manifest, rate }, Math.ceil(2 * expectMs + COPY_SLACK_MS));
      } catch (err) {
        this.counted.copyFailures++;
        trackerMetrics.replicationCopies().inc({ why: t.why, result: 'failed' });
        if (t.why === 'bad') trackerMetrics.copyRepairs().inc({ result: 'failed' });
        log.warn({ blob: blob.id, source: t.source, target: t.target, why: t.why, err: (err as Error).message }, 'copy failed');
        return -1;
      }
      if (t.why === 'bad') {
        // The node is a holder again and its bad-copy record goes, in one step.
        const back = await restoreCopy(store, blob.id, t.target);
        if (back) trackerMetrics.copyRepairs().inc({ result: 'ok' });
        log.info({ blob: blob.id, node: t.target, from: t.source, holders: back?.nodes }, 'bad copy repaired');
      } else {
        await changeHolders(store, blob.id, { add: [t.target] });
      }
      this.counted.copied++;
      this.counted.bytesCopied += res.bytes;
      trackerMetrics.replicationBytes().inc(res.bytes);
      trackerMetrics.replicationCopies().inc({ why: t.why, result: 'ok' });
      log.info({ blob: blob.id, source: t.source, target: t.target, why: t.why, bytes: res.bytes, ms: this.deps.now() - started }, 'copy made');
      if (t.thenDrop) await this.drop(blob.id, t.thenDrop, 'moved');
      return res.bytes;
    } finally {
      done();
    }
  }

  /**
   * Stops listing `node` as a holder, then deletes its copy. Refused (false)
   * unless the factor is still met by live copies on other, non-draining nodes.
   */
  async drop(blobId: string, node: string, why: string): Promise<boolean> {
    const { store, topology, config, log } = this.deps;
    const blob = await store.blobs.get(blobId);
    if (!blob || !blob.nodes.includes(node)) return false;
    const good = blob.nodes.filter((id) => {
      const n = topology.get(id);
      return id !== node && n?.state === 'up' && !n.draining;
    });
    if (good.length < config.replicas) return false;
    const done = this.track({ kind: 'drop', blob: blobId, node });
    try {
      await changeHolders(store, blobId, { remove: [node] });
      this.counted.dropped++;
      log.info({ blob: blobId, node, why }, 'copy dropped');
      await this.deleteOn(node, blobId);
      return true;
    } finally {
      done();
    }
  }

  /**
   * Deletes a copy the index no longer lists on `node` (the node checks that
   * with the tracker under the blob's lock); a failure or a refusal only
   * leaves an extra copy that reconcile looks at later.
   */
  async deleteOn(node: string, blobId: string): Promise<void> {
    const n = this.deps.topology.get(node);
    if (!n || n.state !== 'up') return;
    try {
      const r = await this.deps.nodeApi(n).remove(blobId, { unlisted: true });
      if ('inUse' in r) this.deps.log.info({ blob: blobId, node, why: r.inUse }, 'node kept a dropped copy');
    } catch (err) {
      this.deps.log.warn({ blob: blobId, node, err: (err as Error).message }, 'cannot delete a dropped copy; reconcile will');
    }
  }

  /** Stops listing a holder that has been down past the grace period. */
  async forget(blobId: string, node: string): Promise<boolean> {
    const { store, topology, config, log } = this.deps;
    const n = topology.get(node);
    if (n && (n.state === 'up' || this.deps.now() - Date.parse(n.downSince ?? '') < config.repairGrace)) return false;
    const blob = await store.blobs.get(blobId);
    if (!blob || !blob.nodes.includes(node)) return false;
    await changeHolders(store, blobId, { remove: [node] });
    this.counted.forgotten++;
    log.info({ blob: blobId, node }, 'lost copy forgotten');
    return true;
  }
}
