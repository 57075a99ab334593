// /internal/workers on a storage node: every named worker of the node (scrub,
// orphans, tus-expiry), listed and run on demand, with the cluster credential.
//
//   GET  /internal/workers              worker status
//   POST /internal/workers/<name>/run   run a worker now (joins a run in progress)
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import { pathTail, sendJson } from '../../common/http.js';
import { NODE } from '../../common/protocol/routes.js';
import type { NodeContext } from '../context.js';
import { allowMethods, checkInternalAuth, expectNoBody, readOptionalJson } from './internal.js';

export function isInternalWorkersPath(path: string): boolean {
  return path === NODE.workers || path.startsWith(NODE.workers + '/');
}

export async function handleInternalWorkers(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const digest = checkInternalAuth(ctx.secret, req);
  const method = req.method ?? '';
  const pool = ctx.workers;
  if (url.pathname === NODE.workers) {
    allowMethods(res, method, ['GET']);
    expectNoBody(digest);
    return sendJson(res, 200, pool?.status() ?? []);
  }
  const [name = '', action, ...extra] = (pathTail(url, NODE.workers + '/') ?? '').split('/');
  if (action !== 'run' || extra.length > 0 || !pool?.names().includes(name)) throw new HoardError('NOT_FOUND', `No worker named ${JSON.stringify(name)}`);
  allowMethods(res, method, ['POST']);
  await readOptionalJson(req, digest, 1024);
  sendJson(res, 200, await pool.run(name));
}
