// Worker "rebalance": when the fullest and the emptiest live node differ in
// disk use by rebalanceThreshold points or more, moves up to rebalanceBytes
// of blobs from one to the other (copy, then drop the old copy), never
// putting two copies of a blob in one zone.
import type { Worker, WorkerReport } from '../../common/worker.js';
import type { TrackerContext } from '../context.js';
import { pickRebalancePair, planMoves } from '../replication/rebalance-plan.js';
import type { RepairTask } from '../replication/repair-plan.js';
import { UPLOAD_MARGIN_BYTES } from '../cluster/placement.js';
import { replicationOf } from './need.js';

export function rebalanceWorker(schedule: string): Worker<TrackerContext> {
  return {
    name: 'rebalance',
    schedule,
    async runOnce(ctx): Promise<WorkerReport> {
      const r = replicationOf(ctx);
      const nodes = r.planNodes();
      const pair = pickRebalancePair(nodes, ctx.config.rebalanceThreshold, ctx.config.rebalanceBytes);
      if (!pair) return { planned: 0, moved: 0, bytesMoved: 0 };
      const busy = r.busy();
      const tasks: RepairTask[] = [];
      let budget = pair.bytes;
      for await (const page of r.pages()) {
        const m = planMoves(page, nodes, pair, budget, { replicas: ctx.config.replicas, margin: UPLOAD_MARGIN_BYTES, busy, maxTasks: ctx.config.repairBatch - tasks.length });
        tasks.push(...m.tasks);
        budget -= m.bytes;
        if (budget <= 0 || tasks.length >= ctx.config.repairBatch) break;
      }
      ctx.log.info({ from: pair.source.id, to: pair.target.id, planned: tasks.length, bytes: pair.bytes - budget }, 'rebalance');
      const done = await r.execute(tasks);
      return { planned: tasks.length, moved: done.copied, bytesMoved: done.bytesCopied, failures: done.copyFailures };
    },
  };
}
