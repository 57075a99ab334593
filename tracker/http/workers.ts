// GET /internal/admin/workers: the tracker's background workers and their last runs.
// POST /internal/admin/workers/<name>/run: run one now (joins a run in progress) and answer its report.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { RouteHandler } from '../context.js';
import { readBody } from './body.js';

export const adminWorkers: RouteHandler = (ctx, _req, res) => {
  sendJson(res, 200, ctx.workers?.status() ?? []);
};

export const adminWorkerRun: RouteHandler = async (ctx, req, res, url) => {
  const [name = '', action, ...rest] = url.pathname.slice(TRACKER.adminWorkers.length + 1).split('/');
  if (action !== 'run' || rest.length > 0 || !ctx.workers?.names().includes(name)) {
    throw new HoardError('WORKER_NOT_FOUND', `No worker named ${JSON.stringify(name)} (known: ${ctx.workers?.names().join(', ') ?? 'none'})`);
  }
  // A body is not needed; one sent must still match the credential.
  if (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') await readBody(req, res, 1024);
  sendJson(res, 200, await ctx.workers.run(name));
};
