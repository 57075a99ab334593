// GET /internal/admin/workers → WorkerStatus[];
// POST /internal/admin/workers/<name>/run → the run's WorkerReport (waits for it).
import { HoardError } from '../../common/errors.js';
import { sendJson } from '../../common/http.js';
import { TRACKER } from '../../common/protocol.js';
import type { RouteHandler } from '../context.js';

export const adminWorkers: RouteHandler = (ctx, _req, res) => {
  sendJson(res, 200, ctx.workers?.status() ?? []);
};

export const adminWorkerRun: RouteHandler = async (ctx, req, res, url) => {
  const m = /^([a-z][a-z0-9-]{0,63})\/run$/.exec(url.pathname.slice(TRACKER.adminWorkers.length + 1));
  if (!m) throw new HoardError('NOT_FOUND');
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    throw new HoardError('METHOD_NOT_ALLOWED');
  }
  const name = m[1]!;
  if (!ctx.workers?.names().includes(name)) throw new HoardError('WORKER_NOT_FOUND', `no worker named ${name}`);
  const started = ctx.now();
  try {
    const report = await ctx.workers.run(name);
    sendJson(res, 200, { name, ms: ctx.now() - started, report });
  } catch (err) {
    throw new HoardError('INTERNAL', `worker ${name} failed: ${(err as Error).message}`, { cause: err });
  }
};
