// What the pure planners (repair-plan.ts, rebalance-plan.ts) take: the nodes
// as the topology sees them, the options from the config and the clock with
// the tasks running now, and the blobs with the nodes whose copy was
// reported bad.
import type { Topology } from '../cluster/topology.js';
import type { TrackerConfig } from '../config.js';
import { dropBadCopy } from '../meta/operations.js';
import { each } from '../meta/paging.js';
import { badCopyKey, type BlobRecord, type MetaStore } from '../meta/store.js';
import type { Executor } from './executor.js';
import { planNode, wantsCopy, type PlanBlob, type PlanNode, type PlanOptions } from './repair-plan.js';

export interface PlanInputDeps {
  config: TrackerConfig;
  store: MetaStore;
  topology: Topology;
  now: () => number;
}

/** What the bad-copy records say before a repair scan: which nodes' copies to re-make, per blob. */
export interface BadCopies {
  byBlob: Map<string, string[]>;
  /** Records found stale (blob deleted, or the node holds it again) and removed. */
  cleared: number;
}

/** Blob records as the planner takes them, with the nodes whose copy is bad. */
export function withBad(page: readonly BlobRecord[], bad: BadCopies): PlanBlob[] {
  return page.map((b) => {
    const nodes = bad.byBlob.get(b.id);
    return nodes ? { id: b.id, size: b.size, nodes: b.nodes, bad: nodes } : b;
  });
}

export class PlanInputs {
  constructor(
    private readonly deps: PlanInputDeps,
    private readonly executor: Pick<Executor, 'busy' | 'pendingBytes'>,
  ) {}

  nodes(): PlanNode[] {
    return this.deps.topology.list().map(planNode);
  }

  options(extra: Partial<PlanOptions> = {}): PlanOptions {
    const { config } = this.deps;
    return {
      replicas: config.replicas,
      now: this.deps.now(),
      graceMs: config.repairGrace,
      margin: config.uploadMargin,
      busy: this.executor.busy(),
      pending: this.executor.pendingBytes(),
      ...extra,
    };
  }

  /** Committer policy: keep a duplicate upload's copy when the blob lacks one in that node's zone. */
  wantsCopy(blob: PlanBlob, nodeId: string): boolean {
    return wantsCopy(blob, nodeId, this.nodes(), this.options());
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
}
