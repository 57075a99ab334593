// The node's one pool of named workers: scrub and orphans (integrity and
// space) and tus-expiry (resumable uploads), each observed by the metrics,
// run on their schedules and from /internal/workers.
import type { Logger } from 'pino';
import { observeWorker } from '../../common/metrics.js';
import { onPart, WorkerPool } from '../../common/worker.js';
import type { Integrity } from '../integrity/integrity.js';
import { tusExpiryWorker } from './tus-expiry.js';
import type { TusService } from '../tus/service.js';
import { orphansWorker } from './orphans.js';
import { scrubWorker } from './scrub.js';

/** What the node's workers run on. */
export interface NodeJobs {
  integrity: Integrity;
  tus: TusService;
}

export interface NodeWorkerSchedules {
  scrub: string;
  orphans: string;
  /** Resumable upload expiry, seconds (the tus-expiry worker's cadence follows it). */
  uploadExpiryS: number;
}

/** Builds the pool (not started). */
export function nodeWorkerPool(jobs: NodeJobs, schedules: NodeWorkerSchedules, log: Logger): WorkerPool<NodeJobs> {
  const integrity = (j: NodeJobs) => j.integrity;
  return new WorkerPool<NodeJobs>(jobs, log)
    .add(observeWorker(onPart(scrubWorker(schedules.scrub), integrity)))
    .add(observeWorker(onPart(orphansWorker(schedules.orphans), integrity)))
    .add(observeWorker(onPart(tusExpiryWorker(schedules.uploadExpiryS), (j: NodeJobs) => j.tus)));
}
