// Every route of a storage node, as data: method, path, auth class, handler.
// The router (common/router.ts) answers 404 and 405, checks the cluster
// credential of `internal` routes before their handler runs, and applies
// CORS to the routes a browser page may call (uploads, tus, downloads).
import type { Route } from '../../common/router.js';
import { NODE, TUS_NODE } from '../../common/protocol/routes.js';
import { sendJson } from '../../common/http.js';
import { sendMetrics } from '../../common/metrics.js';
import type { NodeContext } from '../context.js';
import { createHandler } from '../tus/create.js';
import { deleteHandler } from '../tus/delete.js';
import { headHandler } from '../tus/head.js';
import { optionsHandler } from '../tus/options.js';
import { patchHandler } from '../tus/patch.js';
import { downloadHandler } from './download.js';
import { copyFromHandler, listHandler, removeHandler, statHandler, verifyHandler } from './internal-blobs.js';
import { jobHandler, workerRunHandler, workersStatusHandler } from './internal-workers.js';
import { pipelinePublishHandler, pipelineStreamHandler } from './pipeline.js';
import { tusInfoHandler, tusPartBytesHandler, tusPartDropHandler } from './internal-tus.js';
import { proofHandler } from './proof.js';
import type { UploadRoute } from './upload.js';

/** Who calls a public route: anyone, until accounts exist. */
export type NodeCaller = 'anonymous';

/** The PUT upload route's pattern (the server's 100-continue gate looks for it). */
export const UPLOAD_ROUTE = `${NODE.upload}*name`;

export function nodeRoutes(ctx: NodeContext, upload: UploadRoute): Route<NodeCaller>[] {
  const { tus, integrity, workers } = ctx;
  const tusUpload = `${TUS_NODE.upload}:id`;
  const blob = `${NODE.internalBlobs}/:id`;
  return [
    // Public, open to pages of other origins. Parameters as sent: the upload's
    // name check answers its own encoding errors, a blob id is hex.
    // Upload bodies are held to --min-upload-rate instead of the whole-body deadline.
    { methods: ['PUT'], path: UPLOAD_ROUTE, auth: 'public', cors: true, rawParams: true, pacedBody: true, handle: (req, res, m) => upload.handle(req, res, m.url) },
    { methods: ['GET', 'HEAD'], path: `${NODE.blob}:id`, auth: 'public', cors: true, rawParams: true, handle: downloadHandler(ctx) },
    { methods: ['HEAD'], path: tusUpload, auth: 'public', cors: true, handle: headHandler(tus) },
    { methods: ['PATCH'], path: tusUpload, auth: 'public', cors: true, pacedBody: true, handle: patchHandler(tus) },
    { methods: ['DELETE'], path: tusUpload, auth: 'public', cors: true, handle: deleteHandler(tus) },
    { methods: ['OPTIONS'], path: tusUpload, auth: 'public', cors: true, handle: optionsHandler(tus) },
    // Public, same origin.
    { methods: ['GET', 'HEAD'], path: NODE.health, auth: 'public', handle: (_req, res) => sendJson(res, 200, { ok: true, id: ctx.nodeId }) },
    { methods: ['GET'], path: NODE.metrics, auth: 'metrics', handle: (_req, res) => sendMetrics(res) },
    // The tracker's calls, with the cluster credential.
    { methods: ['POST'], path: TUS_NODE.create, auth: 'internal', handle: createHandler(tus) },
    { methods: ['POST'], path: TUS_NODE.proof, auth: 'internal', handle: proofHandler(ctx.store) },
    { methods: ['GET'], path: `${TUS_NODE.part}:id`, auth: 'internal', handle: tusInfoHandler(tus) },
    // Another node's (a final upload joining its parts).
    { methods: ['GET'], path: `${TUS_NODE.part}:id/bytes`, auth: 'internal', handle: tusPartBytesHandler(tus) },
    { methods: ['DELETE'], path: `${TUS_NODE.part}:id`, auth: 'internal', handle: tusPartDropHandler(tus) },
    { methods: ['GET'], path: NODE.internalBlobs, auth: 'internal', handle: listHandler(integrity) },
    { methods: ['GET'], path: blob, auth: 'internal', handle: statHandler(integrity) },
    { methods: ['DELETE'], path: blob, auth: 'internal', handle: removeHandler(integrity) },
    { methods: ['POST'], path: `${blob}/verify`, auth: 'internal', handle: verifyHandler(integrity, ctx.jobs) },
    { methods: ['POST'], path: `${blob}/copy-from`, auth: 'internal', handle: copyFromHandler(integrity, ctx.limits.reserve) },
    // Another node's (the write pipeline).
    { methods: ['PUT'], path: `${NODE.pipeline}:key`, auth: 'internal', streamBody: true, handle: pipelineStreamHandler(ctx.follower) },
    { methods: ['POST'], path: `${NODE.pipeline}:key/publish`, auth: 'internal', handle: pipelinePublishHandler(ctx.follower) },
    { methods: ['GET'], path: NODE.workers, auth: 'internal', handle: workersStatusHandler(workers) },
    { methods: ['POST'], path: `${NODE.workers}/:name/run`, auth: 'internal', handle: workerRunHandler(workers, ctx.jobs) },
    { methods: ['GET'], path: `${NODE.jobs}/:id`, auth: 'internal', handle: jobHandler(ctx.jobs) },
  ];
}
