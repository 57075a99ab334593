// GET /internal/admin/workers: the tracker's background workers and their last runs.
// POST /internal/admin/workers/<name>/run: run one now (joins a run in progress)
// and answer its report; with ?job=1 answer 202 and a job to poll at once;
// 409 WORKER_ELSEWHERE when another tracker holds the worker's lease.
// GET /internal/admin/jobs/<id>: a job's status.
import { wantsJob } from '../../common/jobs.js';
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import type { RouteHandler } from './handler.js';
import { readOptionalBody } from './body.js';
import { appendAudit } from '../meta/audit.js';
import { actorOf } from './takedowns.js';

export const adminWorkers: RouteHandler = async (ctx, _req, res) => {
  sendJson(res, 200, await ctx.leases.annotate(ctx.workers.status()));
};

export const adminWorkerRun: RouteHandler = async (ctx, req, res, m) => {
  const name = m.params.name!;
  if (!ctx.workers.names().includes(name)) {
    throw new HoardError('WORKER_NOT_FOUND', `No worker named ${JSON.stringify(name)} (known: ${ctx.workers.names().join(', ') || 'none'})`);
  }
  await readOptionalBody(req, res, m);
  // Refused here (409 WORKER_ELSEWHERE) rather than in a job: the caller then asks the holder.
  await ctx.leases.gate(name);
  // A run by hand changes what the schedule would have changed later (gc deletes, repair copies): the log says who asked.
  await appendAudit(ctx.store, ctx.now(), { actor: actorOf(req), action: 'worker.run', target: name });
  if (wantsJob(m.url)) {
    sendJson(res, 202, ctx.jobs.start(`worker ${name}`, (progress) => ctx.workers.run(name, progress)));
    return;
  }
  sendJson(res, 200, await ctx.workers.run(name));
};

export const adminJob: RouteHandler = (ctx, _req, res, m) => {
  sendJson(res, 200, ctx.jobs.get(m.params.id!));
};
