// Replication as one handle for the routes, the workers and the daemon's
// composition: the parts each do one job (plan-inputs.ts: what the planners
// take; triggers.ts: what to look at soon; executor.ts: copies, drops and
// forgets; reconcile.ts and fsck.ts: a node's disk against the index;
// status.ts: what the admin and the metrics see). The hooks here are what
// other parts of the tracker call.
import type { RepairStatus } from '../../common/protocol/types.js';
import { Executor, type ExecutorDeps } from './executor.js';
import { PlanInputs } from './plan-inputs.js';
import { Recount } from './recount.js';
import { reconcileNode, type ReconcileReport } from './reconcile.js';
import type { PlanBlob } from './repair-plan.js';
import { repairStatus } from './status.js';
import { Triggers } from './triggers.js';

/** What replication needs: the same as the executor it drives. */
export type ReplicationDeps = ExecutorDeps;

export class Replication {
  readonly executor: Executor;
  readonly triggers: Triggers;
  readonly plan: PlanInputs;
  private readonly recount: Recount;

  constructor(private readonly deps: ReplicationDeps) {
    this.executor = new Executor(deps);
    this.triggers = new Triggers({ now: deps.now, replicas: deps.config.replicas, repairGrace: deps.config.repairGrace });
    this.plan = new PlanInputs(deps, this.executor);
    this.recount = new Recount(
      () => this.status(),
      (err) => deps.log.warn({ err: (err as Error).message }, 'recount of the replication backlog failed'),
    );
  }

  /** After a commit: a blob below its factor gets its other copies soon. */
  blobCommitted(blob: { id: string; nodes: readonly string[] }): void {
    this.triggers.blobCommitted(blob);
  }

  /** A node registered (started, or came back): its disk is compared with the index soon. */
  nodeRegistered(id: string): void {
    this.triggers.nodeRegistered(id);
  }

  /** A node came back up (it registered again, or its heartbeats came back). */
  nodeUp(id: string, downSince: string | undefined): void {
    this.triggers.nodeUp(id, downSince);
    this.recount.soon();
  }

  /** A node went down: the backlog gauges count its copies as missing now. */
  nodeDown(): void {
    this.recount.soon();
  }

  /** Runs a worker soon (e.g. repair after a drain starts). */
  kick(worker: string): void {
    this.triggers.kick(worker);
  }

  /** Committer policy: keep a duplicate upload's copy when the blob lacks one in that node's zone. */
  wantsCopy(blob: PlanBlob, nodeId: string): boolean {
    return this.plan.wantsCopy(blob, nodeId);
  }

  reconcile(nodeId: string): Promise<ReconcileReport> {
    return reconcileNode({ ...this.deps, executor: this.executor, triggers: this.triggers, plan: this.plan }, nodeId);
  }

  /** A dry run of the repair plan over every blob, plus what is running and the totals. */
  status(): Promise<RepairStatus> {
    return repairStatus({ config: this.deps.config, store: this.deps.store, plan: this.plan, executor: this.executor });
  }

  stop(): void {
    this.recount.stop();
    this.triggers.stop();
  }
}
