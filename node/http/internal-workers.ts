// /internal/workers on a storage node: every named worker of the node (scrub,
// orphans, tus-expiry), listed and run on demand. The router has checked the
// cluster credential.
//
//   GET  /internal/workers                    worker status
//   POST /internal/workers/<name>/run[?job=1] run a worker now (joins a run in progress);
//                                             with job=1, answer 202 and a job to poll at once
//   GET  /internal/jobs/<id>                  a job's status
import type { IncomingMessage, ServerResponse } from 'node:http';
import { wantsJob, type JobBook } from '../../common/jobs.js';
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import type { Matched, RouteHandler } from '../../common/router.js';
import type { WorkerPool } from '../../common/worker.js';
import { expectNoBody, readOptionalJson } from './internal-body.js';

export function workersStatusHandler<J>(pool: WorkerPool<J>): RouteHandler<unknown> {
  return (_req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => {
    expectNoBody(m.bodyDigest);
    sendJson(res, 200, pool.status());
  };
}

export function workerRunHandler<J>(pool: WorkerPool<J>, jobs: JobBook): RouteHandler<unknown> {
  return async (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => {
    const name = m.params.name!;
    if (!pool.names().includes(name)) throw new HoardError('NOT_FOUND', `No worker named ${JSON.stringify(name)}`);
    await readOptionalJson(req, m.bodyDigest, 1024);
    if (wantsJob(m.url)) {
      sendJson(res, 202, jobs.start(`worker ${name}`, (progress) => pool.run(name, progress)));
      return;
    }
    sendJson(res, 200, await pool.run(name));
  };
}

export function jobHandler(jobs: JobBook): RouteHandler<unknown> {
  return (_req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => {
    expectNoBody(m.bodyDigest);
    sendJson(res, 200, jobs.get(m.params.id!));
  };
}
