// Carries out what tracker/repair-plan.ts and tracker/rebalance-plan.ts
// decide: node-to-node copies (the target copies from the source and keeps
// the blob only if every chunk verifies), drops, forgets, the repair of
// copies reported bad, and the reconciliation of a node's disk with the
// index, all through the one client of a node's /internal/blobs API. Holds
// the little state the workers share: blobs to look at soon, nodes to
// reconcile soon, tasks running, running totals.
import type { Logger } from 'pino';
import { request } from 'undici';
import type { CopyFromAnswer } from '../../common/protocol/integrity.js';
import { NODE } from '../../common/protocol/routes.js';
import { type BlobManifest, type RepairStatus } from '../../common/protocol/types.js';
import { signUrl } from '../../common/sign.js';
import type { TrackerConfig } from '../config.js';
import { badCopyKey, blobKey, type BlobRecord, type MetaStore } from '../meta/store.js';
import { changeHolders, dropBadCopy, restoreCopy } from '../meta/operations.js';
import { each, pages } from '../meta/paging.js';
import { trackerMetrics } from '../metrics.js';
import type { NodeApiFactory } from '../cluster/node-client.js';
import { emptyCounts, planNode, planRepair, wantsCopy, type PlanBlob, type PlanNode, type PlanOptions, type RepairTask } from './repair-plan.js';
import type { Topology } from '../cluster/topology.js';
import { UPLOAD_MARGIN_BYTES } from '../cluster/placement.js';

/** How long a copy may take beyond what its rate allows, and the rate assumed when unthrottled. */
const COPY_SLACK_MS = 120_000;
const UNTHROTTLED_ESTIMATE = 20 * 1024 * 1024;
const KICK_DELAY_MS = 250;

export interface ReplicationDeps {
  config: TrackerConfig;
  store: MetaStore;
  topology: Topology;
  log: Logger;
  now: () => number;
  /** Calls to nodes' /internal/blobs API. */
  nodeApi: NodeApiFactory;
}

/** What the bad-copy records say before a repair scan: which nodes' copies to re-make, per blob. */
export interface BadCopies {
  byBlob: Map<string, string[]>;
  /** Records found stale (blob deleted, or the node holds it again) and removed. */
  cleared: number;
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

export interface ReconcileReport {
  checked: number;
  adopted: number;
  extraRemoved: number;
  staleForgotten: number;
  unknown: number;
  [k: string]: number;
}

const emptyReport = (): TaskReport => ({ copied: 0, repaired: 0, copyFailures: 0, bytesCopied: 0, dropped: 0, forgotten: 0, skipped: 0 });

export class Replication {
  /** New or changed blobs the replicate worker looks at next. */
  readonly dirty = new Set<string>();
  /** Nodes that (re)registered: the reconcile worker looks at them next. */
  readonly toReconcile = new Set<string>();
  readonly totals = { copied: 0, copyFailures: 0, bytesCopied: 0, dropped: 0, forgotten: 0, adopted: 0 };
  /** Set by the wiring: runs a worker soon (coalescing bursts of requests). */
  runWorker: ((name: string) => Promise<unknown>) | undefined;
  private readonly running = new Map<string, Running>();
  private batches = 0;
  private readonly kicks = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: ReplicationDeps) {}

  get replicas(): number {
    return this.deps.config.replicas;
  }

  // ---- inputs for the pure planners ----

  planNodes(): PlanNode[] {
    return this.deps.topology.list().map(planNode);
  }

  planOptions(extra: Partial<PlanOptions> = {}): PlanOptions {
    return {
      replicas: this.deps.config.replicas,
      now: this.deps.now(),
      graceMs: this.deps.config.repairGrace,
      margin: UPLOAD_MARGIN_BYTES,
      busy: this.busy(),
      pending: this.pendingBytes(),
      ...extra,
    };
  }

  /** Blobs with a task running: the planners leave them alone. */
  busy(): Set<string> {
    return new Set([...this.running.values()].map((r) => r.blob));
  }

  private pendingBytes(): Map<string, number> {
    const m = new Map<string, number>();
    for (const r of this.running.values()) if (r.kind === 'copy' && r.target) m.set(r.target, (m.get(r.target) ?? 0) + (r.size ?? 0));
    return m;
  }

  /** Blob records as the planner takes them, with the nodes whose copy is bad. */
  withBad(page: readonly BlobRecord[], bad: BadCopies): PlanBlob[] {
    return page.map((b) => {
      const nodes = bad.byBlob.get(b.id);
      return nodes ? { id: b.id, size: b.size, nodes: b.nodes, bad: nodes } : b;
    });
  }

  /**
   * Reads every bad-copy record (there are few: each is a copy that failed its
   * checksum) and, with `clear`, removes the stale ones: the blob is gone, or
   * its node holds it again by other means (a fresh upload adopted there).
   */
  async badCopies(clear: boolean): Promise<BadCopies> {
    const { store } = this.deps;
    const out: BadCopies = { byBlob: new Map(), cleared: 0 };
    for await (const rec of each(store.badCopies.list, badCopyKey)) {
      if (clear && (await dropBadCopy(store, rec.blobId, rec.nodeId, { ifStale: true }))) {
        out.cleared++;
        continue;
      }
      const list = out.byBlob.get(rec.blobId) ?? [];
      list.push(rec.nodeId);
      out.byBlob.set(rec.blobId, list);
    }
    return out;
  }

  /** Every blob record, a page at a time, in id order. */
  pages(): AsyncGenerator<BlobRecord[]> {
    return pages(this.deps.store.blobs.list, blobKey);
  }

  // ---- hooks from routes ----

  /** After a commit: a blob below its factor gets its other copies soon. */
  blobCommitted(blob: Pick<BlobRecord, 'id' | 'nodes'>): void {
    if (blob.nodes.length >= this.replicas) return;
    this.dirty.add(blob.id);
    this.kick('replicate');
  }

  /** A node registered (started, or came back): compare its disk with the index soon. */
  nodeRegistered(id: string): void {
    this.toReconcile.add(id);
    this.kick('reconcile');
  }

  /** A node came back up: after an absence past the grace period the index may have dropped its copies. */
  nodeUp(id: string, downSince: string | undefined): void {
    if (downSince && this.deps.now() - Date.parse(downSince) >= this.deps.config.repairGrace) this.nodeRegistered(id);
  }

  /** Committer policy: keep a duplicate upload's copy when the blob lacks one in that node's zone. */
  wantsCopy(blob: PlanBlob, nodeId: string): boolean {
    return wantsCopy(blob, nodeId, this.planNodes(), this.planOptions());
  }

  kick(worker: string): void {
    if (!this.runWorker || this.kicks.has(worker)) return;
    const timer = setTimeout(() => {
      this.kicks.delete(worker);
      this.runWorker?.(worker).catch(() => undefined);
    }, KICK_DELAY_MS);
    timer.unref();
    this.kicks.set(worker, timer);
  }

  stop(): void {
    for (const t of this.kicks.values()) clearTimeout(t);
    this.kicks.clear();
  }

  // ---- carrying out tasks ----

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
      const manifest: BlobManifest = { id: blob.id, md5: blob.md5, sha256: blob.sha256, size: blob.size, chunkSize: blob.chunkSize, chunks };
      const rate = config.replicationRate;
      const expectMs = (blob.size / (rate > 0 ? rate : UNTHROTTLED_ESTIMATE)) * 1000;
      const exp = Math.floor((this.deps.now() + 2 * expectMs + COPY_SLACK_MS) / 1000) + 60;
      const source = signUrl(config.secret, src.publicUrl + NODE.blob + blob.id, { verb: 'GET', resource: blob.id, exp, extra: '' });
      const started = this.deps.now();
      let res: CopyFromAnswer;
      try {
        res = await this.deps.nodeApi(dst).copyFrom(blob.id, { source, manifest, rate }, Math.ceil(2 * expectMs + COPY_SLACK_MS));
      } catch (err) {
        this.totals.copyFailures++;
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
      this.totals.copied++;
      this.totals.bytesCopied += res.bytes;
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
      this.totals.dropped++;
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
  private async deleteOn(node: string, blobId: string): Promise<void> {
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
    this.totals.forgotten++;
    log.info({ blob: blobId, node }, 'lost copy forgotten');
    return true;
  }

  // ---- reconciling a node's disk with the index ----

  /**
   * Walks the node's blob list and the index side by side (both in id
   * order). A listed copy the node lacks is forgotten; a copy the index does
   * not list is adopted after the node re-verifies it when the blob needs a
   * copy there, else deleted once older than reconcileMinAge; blobs the index
   * does not know at all are counted and left to garbage collection.
   */
  async reconcile(nodeId: string): Promise<ReconcileReport> {
    const { topology, store, config, log } = this.deps;
    const report: ReconcileReport = { checked: 0, adopted: 0, extraRemoved: 0, staleForgotten: 0, unknown: 0 };
    const node = topology.get(nodeId);
    if (!node || node.state !== 'up') return report;
    const api = this.deps.nodeApi(node);
    const inventory = this.inventory(node)[Symbol.asyncIterator]();
    const index = this.records()[Symbol.asyncIterator]();
    let a = await inventory.next();
    let b = await index.next();
    while (!a.done || !b.done) {
      if (!a.done && (b.done || a.value.id < b.value.id)) {
        report.unknown++;
        a = await inventory.next();
        continue;
      }
      if (!b.done && (a.done || b.value.id < a.value.id)) {
        const rec = b.value;
        // Confirmed by asking the node: a copy may have landed after its list was read.
        if (rec.nodes.includes(nodeId) && !this.busy().has(rec.id) && !(await this.holds(node.publicUrl, rec.id))) {
          await changeHolders(store, rec.id, { remove: [nodeId] });
          report.staleForgotten++;
          this.dirty.add(rec.id);
          log.warn({ blob: rec.id, node: nodeId }, 'index listed a copy the node does not have');
        }
        b = await index.next();
        continue;
      }
      // Both sides know the blob.
      const rec = b.value!;
      const mtime = a.value!.mtime;
      report.checked++;
      if (!rec.nodes.includes(nodeId) && !this.busy().has(rec.id)) {
        if (this.wantsCopy(rec, nodeId)) {
          // A bad copy is quarantined and reported by the node itself.
          const v = await api.verify(rec.id).catch((err: unknown) => {
            log.warn({ blob: rec.id, node: nodeId, err: (err as Error).message }, 'cannot verify an extra copy');
            return undefined;
          });
          if (v && v.bad.length === 0 && v.sha256 === rec.sha256 && v.md5 === rec.md5 && v.size === rec.size) {
            await changeHolders(store, rec.id, { add: [nodeId] });
            report.adopted++;
            this.totals.adopted++;
            log.info({ blob: rec.id, node: nodeId }, 'extra copy verified and adopted');
          }
        } else if (this.deps.now() - mtime >= config.reconcileMinAge) {
          await this.deleteOn(nodeId, rec.id);
          report.extraRemoved++;
          log.info({ blob: rec.id, node: nodeId }, 'extra copy removed');
        }
      }
      a = await inventory.next();
      b = await index.next();
    }
    return report;
  }

  /** Whether a node has a blob, by a HEAD of a signed download URL (true when unsure). */
  private async holds(base: string, blobId: string): Promise<boolean> {
    const exp = Math.floor(this.deps.now() / 1000) + 60;
    const url = signUrl(this.deps.config.secret, base + NODE.blob + blobId, { verb: 'GET', resource: blobId, exp, extra: '' });
    try {
      const res = await request(url, { method: 'HEAD', headersTimeout: 10_000, bodyTimeout: 10_000 });
      await res.body.dump();
      return res.statusCode !== 404;
    } catch {
      return true;
    }
  }

  private async *inventory(node: Parameters<NodeApiFactory>[0]): AsyncGenerator<{ id: string; mtime: number }> {
    const api = this.deps.nodeApi(node);
    for await (const e of each((p) => api.list(p.after, p.limit), (e) => e.id)) yield { id: e.id, mtime: Date.parse(e.mtime) || 0 };
  }

  private records(): AsyncGenerator<BlobRecord> {
    return each(this.deps.store.blobs.list, blobKey);
  }

  // ---- what the admin sees ----

  /** A dry run of the repair plan over every blob, plus what is running and the totals. */
  async status(): Promise<RepairStatus> {
    const nodes = this.planNodes();
    const opts = this.planOptions();
    const counts = emptyCounts();
    const holds: Record<string, number> = {};
    for (const n of nodes) holds[n.id] = 0;
    const bad = await this.badCopies(false);
    let pending = opts.pending;
    for await (const page of this.pages()) {
      const plan = planRepair(this.withBad(page, bad), nodes, { ...opts, pending });
      pending = plan.pending;
      for (const k of Object.keys(counts) as Array<keyof typeof counts>) counts[k] += plan.counts[k];
      for (const b of page) for (const id of b.nodes) holds[id] = (holds[id] ?? 0) + 1;
    }
    this.observe(counts);
    return {
      replicas: this.replicas,
      graceMs: this.deps.config.repairGrace,
      counts,
      holds,
      inFlight: [...this.running.values()].map((r) => ({
        kind: r.kind,
        blob: r.blob,
        ...(r.source ? { source: r.source } : {}),
        ...(r.target ? { target: r.target } : {}),
        ...(r.node ? { node: r.node } : {}),
        since: new Date(r.since).toISOString(),
      })),
      totals: { ...this.totals },
    };
  }

  /** Publishes a scan's counts as metrics (bad_copy is the record count: routes/copies.ts refreshBacklog). */
  observe(counts: ReturnType<typeof emptyCounts>): void {
    trackerMetrics.underReplicated().set(counts.belowFactor);
    trackerMetrics.repairBacklog().set({ kind: 'copy' }, counts.copies);
    trackerMetrics.repairBacklog().set({ kind: 'drop' }, counts.drops);
    trackerMetrics.repairBacklog().set({ kind: 'forget' }, counts.forgets);
  }
}
