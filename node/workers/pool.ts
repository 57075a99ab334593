// The node's one pool of named workers: scrub and orphans (integrity and
// space) and tus-expiry (resumable uploads), each observed by the metrics,
// run on their schedules and from /internal/workers.
import type { Logger } from 'pino';
import { observeWorker } from '../../common/metrics.js';
import { onPart, WorkerPool } from '../../common/worker.js';
import type { NodeContext } from '../context.js';
import type { Integrity } from '../integrity/integrity.js';
import { tusExpiryWorker } from './tus-expiry.js';
import type { TusService } from '../tus/service.js';
import { orphansWorker } from './orphans.js';
import { scrubWorker } from './scrub.js';

export interface NodeWorkerSchedules {
  scrub: string;
  orphans: string;
  /** Resumable upload expiry, seconds (the tus-expiry worker's cadence follows it). */
  uploadExpiryS: number;
}

function integrityOf(ctx: NodeContext): Integrity {
  if (!ctx.integrity) throw new Error('integrity is not set up on this node');
  return ctx.integrity;
}

function tusOf(ctx: NodeContext): TusService {
  if (!ctx.tus) throw new Error('resumable uploads are not set up on this node');
  return ctx.tus;
}

/** Builds the pool over the parts `ctx` has (not started), and sets ctx.workers. */
export function nodeWorkerPool(ctx: NodeContext, schedules: NodeWorkerSchedules, log: Logger): WorkerPool<NodeContext> {
  const pool = new WorkerPool<NodeContext>(ctx, log);
  if (ctx.integrity) {
    pool.add(observeWorker(onPart(scrubWorker(schedules.scrub), integrityOf)));
    pool.add(observeWorker(onPart(orphansWorker(schedules.orphans), integrityOf)));
  }
  if (ctx.tus) pool.add(observeWorker(onPart(tusExpiryWorker(schedules.uploadExpiryS), tusOf)));
  ctx.workers = pool;
  return pool;
}
