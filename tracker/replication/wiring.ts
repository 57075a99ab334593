// Wiring of replication into hoard-tracker: its command-line flags, and the
// pool of named workers (replicate, repair, reconcile, rebalance and the
// integrity jobs) on their schedules.
import type { Options } from 'yargs';
import { WorkerPool, type Worker } from '../../common/worker.js';
import { trackerSpec } from '../config.js';
import type { TrackerContext } from '../context.js';
import { observeWorker } from '../../common/metrics.js';
import type { Replication } from './replication.js';
import { rebalanceWorker } from '../workers/rebalance.js';
import { reconcileWorker } from '../workers/reconcile.js';
import { repairWorker } from '../workers/repair.js';
import { replicateWorker } from '../workers/replicate.js';

const KEYS = [
  'replicas',
  'repairGrace',
  'replicationRate',
  'replicationConcurrency',
  'repairBatch',
  'replicateSchedule',
  'repairSchedule',
  'reconcileSchedule',
  'reconcileMinAge',
  'rebalanceSchedule',
  'rebalanceThreshold',
  'rebalanceBytes',
] as const satisfies ReadonlyArray<keyof typeof trackerSpec>;

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** yargs options for the replication keys (strings: loadConfig parses and checks them). */
export function replicationFlags(): Record<string, Options> {
  return Object.fromEntries(KEYS.map((k) => [kebab(k), { type: 'string', describe: trackerSpec[k].doc }]));
}

/** The replication keys' flag values, camelCased, for loadConfig. */
export function replicationValues(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(KEYS.map((k) => [k, flags[k]]));
}

/** One pool for every tracker worker: replication's and the `others` (gc, fsck), each observed by the metrics. */
export function startWorkers(ctx: TrackerContext, replication: Replication, others: Array<Worker<TrackerContext>> = []): WorkerPool<TrackerContext> {
  const { config } = ctx;
  const pool = new WorkerPool<TrackerContext>(ctx, ctx.log);
  for (const w of [
    replicateWorker(config.replicateSchedule),
    repairWorker(config.repairSchedule),
    reconcileWorker(config.reconcileSchedule),
    rebalanceWorker(config.rebalanceSchedule),
    ...others,
  ]) {
    pool.add(observeWorker(w));
  }
  ctx.workers = pool;
  replication.runWorker = (name) => pool.run(name);
  pool.start();
  return pool;
}
