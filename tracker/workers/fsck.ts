// Worker "fsck": on its schedule, compares the index with every live node
// (replication/fsck.ts), reports only, and sets hoard_fsck_differences.
// Repairs run from hoard-admin fsck --repair.
import { FSCK_KINDS } from '../../common/protocol/integrity.js';
import type { Worker } from '../../common/worker.js';
import type { TrackerContext } from '../context.js';
import { trackerMetrics } from '../metrics.js';
import { runFsck } from '../replication/fsck.js';

export function fsckWorker(schedule: string): Worker<TrackerContext> {
  return {
    name: 'fsck',
    schedule,
    async runOnce(ctx, progress) {
      const r = await runFsck(ctx, { repair: false, progress });
      const g = trackerMetrics.fsckDifferences();
      const kinds = FSCK_KINDS;
      for (const k of kinds) g.set({ kind: k }, r.counts[k] ?? 0);
      return { nodesChecked: r.nodesChecked, blobsChecked: r.blobsChecked, ...Object.fromEntries(kinds.map((k) => [k, r.counts[k] ?? 0])) };
    },
  };
}
