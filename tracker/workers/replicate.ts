// Worker "replicate": new uploads (acknowledged after their first durable
// copy) get their other copies, in other zones. Looks only at the blobs
// commits marked; the repair worker's full scan catches anything missed
// (a tracker restart forgets the marks).
import type { Worker, WorkerReport } from '../../common/worker.js';
import type { TrackerContext } from '../context.js';
import { planRepair, type PlanBlob } from '../replication/repair-plan.js';

export function replicateWorker(schedule: string): Worker<TrackerContext> {
  return {
    name: 'replicate',
    schedule,
    async runOnce(ctx): Promise<WorkerReport> {
      const r = ctx.replication;
      const ids = r.triggers.takeChangedBlobs();
      if (ids.length === 0) return { blobs: 0, copied: 0, copyFailures: 0, bytesCopied: 0 };
      const blobs: PlanBlob[] = [];
      for (const id of ids) {
        const b = await ctx.store.blobs.get(id);
        if (!b) continue;
        // A copy reported bad is re-made in place rather than somewhere new.
        const bad = (await ctx.store.badCopies.of(id)).map((rec) => rec.nodeId);
        blobs.push(bad.length > 0 ? { id: b.id, size: b.size, nodes: b.nodes, bad } : b);
      }
      const plan = planRepair(blobs, r.plan.nodes(), r.plan.options({ maxTasks: ctx.config.repairBatch }));
      // Only copies here: tidying (drops, forgets) waits for the repair worker's full view.
      const copies = plan.tasks.filter((t) => t.kind === 'copy');
      const done = await r.executor.execute(copies);
      return { blobs: blobs.length, belowFactor: plan.counts.belowFactor, ...done };
    },
  };
}
