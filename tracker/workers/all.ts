// Every named background job of the tracker, on its configured schedule.
import type { Worker } from '../../common/worker.js';
import type { TrackerConfig } from '../config.js';
import type { TrackerContext } from '../context.js';
import { fsckWorker } from './fsck.js';
import { gcWorker } from './gc.js';
import { rebalanceWorker } from './rebalance.js';
import { reconcileWorker } from './reconcile.js';
import { repairWorker } from './repair.js';
import { replicateWorker } from './replicate.js';
import { takedownPurgeWorker } from './takedown-purge.js';

export function trackerWorkers(config: TrackerConfig): Array<Worker<TrackerContext>> {
  return [
    replicateWorker(config.replicateSchedule),
    repairWorker(config.repairSchedule),
    reconcileWorker(config.reconcileSchedule),
    rebalanceWorker(config.rebalanceSchedule),
    gcWorker(config.gcSchedule),
    fsckWorker(config.fsckSchedule),
    takedownPurgeWorker(config.takedownSchedule),
  ];
}
