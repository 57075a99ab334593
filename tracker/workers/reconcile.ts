// Worker "reconcile": compares a node's disk with the index. Runs for the
// nodes that just registered (a node coming back may hold copies the index
// dropped while it was away, or lack copies it lists), or for every live
// node when none is waiting.
import type { Worker, WorkerReport } from '../../common/worker.js';
import type { TrackerContext } from '../context.js';

export function reconcileWorker(schedule: string): Worker<TrackerContext> {
  return {
    name: 'reconcile',
    schedule,
    async runOnce(ctx): Promise<WorkerReport> {
      const r = ctx.replication;
      const queued = r.triggers.takeNodesToReconcile();
      const ids = queued.length > 0 ? queued : ctx.topology.list().filter((n) => n.state === 'up').map((n) => n.id);
      const total: WorkerReport = { nodes: 0, checked: 0, adopted: 0, extraRemoved: 0, staleForgotten: 0, unknown: 0, failures: 0 };
      for (const id of ids) {
        try {
          const rep = await r.reconcile(id);
          total.nodes!++;
          for (const [k, v] of Object.entries(rep)) total[k] = (total[k] ?? 0) + v;
        } catch (err) {
          total.failures!++;
          ctx.log.warn({ node: id, err: (err as Error).message }, 'reconcile of a node failed');
          if (queued.includes(id)) r.triggers.reconcileSoon(id);
        }
      }
      if (total.staleForgotten! > 0) r.kick('replicate');
      return total;
    },
  };
}
