// Worker "rebalance": when the fullest and the emptiest live node differ in
// disk use by rebalanceThreshold points or more, moves up to rebalanceBytes
// of blobs from one to the other (copy, then drop the old copy), never
// putting two copies of a blob in one zone.
import type { Worker, WorkerReport } from '../../common/worker.js';
import type { TrackerContext } from '../context.js';
import { pages } from '../meta/paging.js';
import { blobKey } from '../meta/store.js';
import { pickRebalancePair, planMoves } from '../replication/rebalance-plan.js';
import type { RepairTask } from '../replication/repair-plan.js';

export function rebalanceWorker(schedule: string): Worker<TrackerContext> {
  return {
    name: 'rebalance',
    schedule,
    async runOnce(ctx): Promise<WorkerReport> {
      const r = ctx.replication;
      const { config } = ctx;
      const nodes = r.plan.nodes();
      const pair = pickRebalancePair(nodes, config.rebalanceThreshold, config.rebalanceBytes);
      if (!pair) return { planned: 0, moved: 0, bytesMoved: 0 };
      const busy = r.executor.busy();
      const tasks: RepairTask[] = [];
      let budget = pair.bytes;
      for await (const page of pages(ctx.store.blobs.list, blobKey)) {
        const m = planMoves(page, nodes, pair, budget, { replicas: config.replicas, margin: config.uploadMargin, busy, maxTasks: config.repairBatch - tasks.length });
        tasks.push(...m.tasks);
        budget -= m.bytes;
        if (budget <= 0 || tasks.length >= config.repairBatch) break;
      }
      ctx.log.info({ from: pair.source.id, to: pair.target.id, planned: tasks.length, bytes: pair.bytes - budget }, 'rebalance');
      const done = await r.executor.execute(tasks);
      return { planned: tasks.length, moved: done.copied, bytesMoved: done.bytesCopied, failures: done.copyFailures };
    },
  };
}
