// What the admin and the metrics see of replication: a dry run of the repair
// plan over every blob with what is running and the totals, the backlog
// gauges, and the count of bad-copy records.
import type { RepairStatus } from '../../common/protocol/types.js';
import type { TrackerConfig } from '../config.js';
import { pages } from '../meta/paging.js';
import { badCopyKey, blobKey, type MetaStore } from '../meta/store.js';
import { trackerMetrics } from '../metrics.js';
import type { Executor } from './executor.js';
import { withBad, type PlanInputs } from './plan-inputs.js';
import { emptyCounts, planRepair } from './repair-plan.js';

export interface StatusDeps {
  config: TrackerConfig;
  store: MetaStore;
  plan: Pick<PlanInputs, 'nodes' | 'options' | 'badCopies'>;
  executor: Pick<Executor, 'inFlight' | 'totals'>;
}

export async function repairStatus(deps: StatusDeps): Promise<RepairStatus> {
  const nodes = deps.plan.nodes();
  const opts = deps.plan.options();
  const counts = emptyCounts();
  const holds: Record<string, number> = {};
  for (const n of nodes) holds[n.id] = 0;
  const bad = await deps.plan.badCopies(false);
  let pending = opts.pending;
  for await (const page of pages(deps.store.blobs.list, blobKey)) {
    const plan = planRepair(withBad(page, bad), nodes, { ...opts, pending });
    pending = plan.pending;
    for (const k of Object.keys(counts) as Array<keyof typeof counts>) counts[k] += plan.counts[k];
    for (const b of page) for (const id of b.nodes) holds[id] = (holds[id] ?? 0) + 1;
  }
  observeCounts(counts);
  return {
    replicas: deps.config.replicas,
    graceMs: deps.config.repairGrace,
    counts,
    holds,
    inFlight: deps.executor.inFlight(),
    totals: deps.executor.totals(),
  };
}

/** Publishes a scan's counts as metrics (the bad_copy backlog is the record count: refreshBacklog). */
export function observeCounts(counts: ReturnType<typeof emptyCounts>): void {
  trackerMetrics.underReplicated().set(counts.belowFactor);
  trackerMetrics.repairBacklog().set({ kind: 'copy' }, counts.copies);
  trackerMetrics.repairBacklog().set({ kind: 'drop' }, counts.drops);
  trackerMetrics.repairBacklog().set({ kind: 'forget' }, counts.forgets);
}

/** Sets hoard_repair_backlog{kind="bad_copy"} from the store; answers the count. */
export async function refreshBacklog(store: MetaStore): Promise<number> {
  let n = 0;
  for await (const page of pages(store.badCopies.list, badCopyKey)) n += page.length;
  trackerMetrics.repairBacklog().set({ kind: 'bad_copy' }, n);
  return n;
}
