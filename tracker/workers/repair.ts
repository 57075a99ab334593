// Worker "repair": scans every blob and brings each back to its factor, in
// distinct zones: re-makes each copy a node reported bad in place (from a
// live holder; the node lists as a holder again and the record goes),
// copies from a surviving holder once a node has been down past the grace
// period or is draining, drops extra and drained copies, forgets holders
// lost past the grace period. At most repairBatch tasks per run,
// replicationConcurrency copies at a time, each at replicationRate.
import type { Worker, WorkerReport } from '../../common/worker.js';
import type { TrackerContext } from '../context.js';
import { pages } from '../meta/paging.js';
import { blobKey } from '../meta/store.js';
import { withBad } from '../replication/plan-inputs.js';
import { emptyCounts, planRepair, type RepairTask } from '../replication/repair-plan.js';
import { observeCounts, refreshBacklog } from '../replication/status.js';

export function repairWorker(schedule: string): Worker<TrackerContext> {
  return {
    name: 'repair',
    schedule,
    async runOnce(ctx): Promise<WorkerReport> {
      const r = ctx.replication;
      const nodes = r.plan.nodes();
      const opts = r.plan.options();
      const bad = await r.plan.badCopies(true);
      const counts = emptyCounts();
      const tasks: RepairTask[] = [];
      let pending = opts.pending;
      for await (const page of pages(ctx.store.blobs.list, blobKey)) {
        const plan = planRepair(withBad(page, bad), nodes, { ...opts, pending, maxTasks: ctx.config.repairBatch - tasks.length });
        pending = plan.pending;
        tasks.push(...plan.tasks);
        for (const k of Object.keys(counts) as Array<keyof typeof counts>) counts[k] += plan.counts[k];
      }
      observeCounts(counts);
      const done = await r.executor.execute(tasks);
      // hoard_repair_backlog{kind="bad_copy"}: the records left after this run.
      const badLeft = await refreshBacklog(ctx.store);
      return {
        blobs: counts.blobs,
        belowFactor: counts.belowFactor,
        waiting: counts.waiting,
        unavailable: counts.unavailable,
        noTarget: counts.noTarget,
        badCopies: counts.badCopies,
        badWaiting: counts.badWaiting,
        badCleared: bad.cleared,
        badLeft,
        ...done,
      };
    },
  };
}
