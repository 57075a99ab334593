// What makes replication look at something soon: a commit below its factor
// (the replicate worker copies it), a node registering or coming back after
// the grace period (the reconcile worker compares its disk with the index),
// a route asking for a worker run. Bursts of requests make one run.
const KICK_DELAY_MS = 250;

export interface TriggerDeps {
  now: () => number;
  /** Copies wanted of every blob. */
  replicas: number;
  /** A node down at least this long may have lost copies the index dropped meanwhile. */
  repairGrace: number;
}

export type RunWorker = (name: string) => Promise<unknown>;

export class Triggers {
  private readonly dirty = new Set<string>();
  private readonly toReconcile = new Set<string>();
  private readonly kicks = new Map<string, NodeJS.Timeout>();
  private runWorker: RunWorker | undefined;

  constructor(private readonly deps: TriggerDeps) {}

  /** How kick() runs a worker; until this is set (workers not started), kicks do nothing. */
  runWorkersWith(run: RunWorker): void {
    this.runWorker = run;
  }

  /** After a commit: a blob below its factor gets its other copies soon. */
  blobCommitted(blob: { id: string; nodes: readonly string[] }): void {
    if (blob.nodes.length >= this.deps.replicas) return;
    this.blobChanged(blob.id);
    this.kick('replicate');
  }

  /** A blob to look at on the next replicate run (a holder was found missing). */
  blobChanged(id: string): void {
    this.dirty.add(id);
  }

  /** The blobs marked since the last call, forgotten here. */
  takeChangedBlobs(): string[] {
    const ids = [...this.dirty];
    this.dirty.clear();
    return ids;
  }

  /** A node registered (started, or came back): compare its disk with the index soon. */
  nodeRegistered(id: string): void {
    this.reconcileSoon(id);
    this.kick('reconcile');
  }

  /** A node came back up: after an absence past the grace period the index may have dropped its copies. */
  nodeUp(id: string, downSince: string | undefined): void {
    if (downSince && this.deps.now() - Date.parse(downSince) >= this.deps.repairGrace) this.nodeRegistered(id);
  }

  /** A node for the next reconcile run (again, after a failed one). */
  reconcileSoon(id: string): void {
    this.toReconcile.add(id);
  }

  /** The nodes waiting for a reconcile, forgotten here. */
  takeNodesToReconcile(): string[] {
    const ids = [...this.toReconcile];
    this.toReconcile.clear();
    return ids;
  }

  /** Runs a worker in a moment; more kicks meanwhile join that run. */
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
}
