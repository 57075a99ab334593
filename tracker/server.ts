// The tracker's HTTP surface: one route table, cluster auth in front of every
// /internal/ path, and `Expect: 100-continue` left to the handlers.
import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError } from '../common/protocol/errors.js';
import { createServer } from '../common/http.js';
import { observeHttp, routeNamer, sendMetrics } from '../common/metrics.js';
import { AUTH_HEADER, TRACKER } from '../common/protocol/routes.js';
import { verifyClusterAuth } from '../common/sign.js';
import type { RouteHandler, TrackerContext } from './context.js';
import { adminBlobs, adminLinks, adminNodes, adminStats } from './http/admin.js';
import { expectBodyDigest, hasBody } from './http/body.js';
import { commitRoute } from './http/commit.js';
import { copiesHeldRoute, copyBadRoute } from './http/copies.js';
import { fsckRoute } from './http/fsck.js';
import { healthRoute } from './http/health.js';
import { linkDeleteRoute } from './http/link-delete.js';
import { linkInfoRoute, linkRedirect } from './http/links.js';
import { heartbeatRoute, registerRoute } from './http/nodes.js';
import { uploadRedirect, uploadTargetRoute } from './http/upload.js';
import { TUS_TRACKER } from '../common/protocol/routes.js';
import { commitProvenRoute, verifyProofRoute } from './http/proof.js';
import { tusCreate, tusOptions, uploadStatusRoute } from './http/tus.js';
import { adminDrain } from './http/drain.js';
import { adminRepair } from './http/repair.js';
import { adminWorkerRun, adminWorkers } from './http/workers.js';
import { registerTrackerMetrics } from './metrics.js';

interface Route {
  path: string;
  /** Match every path under `path` (which ends in '/'). */
  prefix?: boolean;
  methods: readonly string[];
  handle: RouteHandler;
}

const INTERNAL_PREFIX = '/internal/';

export const ROUTES: readonly Route[] = [
  { path: TRACKER.upload, prefix: true, methods: ['PUT'], handle: uploadRedirect },
  { path: TRACKER.uploadTarget, methods: ['POST'], handle: uploadTargetRoute },
  { path: TRACKER.link, prefix: true, methods: ['GET', 'HEAD'], handle: linkRedirect },
  { path: TRACKER.linkInfo, prefix: true, methods: ['GET', 'DELETE'], handle: (ctx, req, res, url) => (req.method === 'DELETE' ? linkDeleteRoute : linkInfoRoute)(ctx, req, res, url) },
  { path: TRACKER.health, methods: ['GET', 'HEAD'], handle: healthRoute },
  { path: TRACKER.register, methods: ['POST'], handle: registerRoute },
  { path: TRACKER.heartbeat, methods: ['POST'], handle: heartbeatRoute },
  { path: TRACKER.commit, methods: ['POST'], handle: commitRoute },
  { path: TRACKER.adminNodes, methods: ['GET'], handle: adminNodes },
  { path: TRACKER.adminBlobs, methods: ['GET'], handle: adminBlobs },
  { path: TRACKER.adminLinks, methods: ['GET'], handle: adminLinks },
  { path: TRACKER.adminStats, methods: ['GET'], handle: adminStats },
  // Resumable uploads and early stop.
  { path: TUS_TRACKER.create, methods: ['POST', 'OPTIONS'], handle: (ctx, req, res, url) => (req.method === 'OPTIONS' ? tusOptions : tusCreate)(ctx, req, res, url) },
  { path: TUS_TRACKER.status, prefix: true, methods: ['GET'], handle: uploadStatusRoute },
  { path: TUS_TRACKER.verifyProof, methods: ['POST'], handle: verifyProofRoute },
  { path: TUS_TRACKER.commitProven, methods: ['POST'], handle: commitProvenRoute },
  { path: TRACKER.adminWorkers, methods: ['GET'], handle: adminWorkers },
  { path: TRACKER.adminWorkers + '/', prefix: true, methods: ['POST'], handle: adminWorkerRun },
  { path: TRACKER.adminNodePrefix, prefix: true, methods: ['POST'], handle: adminDrain },
  { path: TRACKER.adminRepair, methods: ['GET'], handle: adminRepair },
  { path: TRACKER.metrics, methods: ['GET'], handle: (_ctx, _req, res) => sendMetrics(res) },
  { path: TRACKER.copyBad, methods: ['POST'], handle: copyBadRoute },
  { path: TRACKER.copiesHeld, methods: ['POST'], handle: copiesHeldRoute },
  { path: TRACKER.adminFsck, methods: ['POST'], handle: fsckRoute },
];

function match(pathname: string): Route | undefined {
  return ROUTES.find((r) => (r.prefix ? pathname.startsWith(r.path) : pathname === r.path));
}

function dispatch(ctx: TrackerContext) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    // A body the handler does not read fully means the connection cannot be reused.
    if (hasBody(req)) res.setHeader('connection', 'close');
    if (url.pathname.startsWith(INTERNAL_PREFIX)) {
      // The MAC covers the request target exactly as the client sent it.
      const header = req.headers[AUTH_HEADER];
      const digest = verifyClusterAuth(ctx.config.secret, req.method ?? '', req.url ?? '', typeof header === 'string' ? header : undefined);
      expectBodyDigest(req, digest);
    }
    const route = match(url.pathname);
    if (!route) throw new HoardError('NOT_FOUND');
    if (!route.methods.includes(req.method ?? '')) {
      res.setHeader('allow', route.methods.join(', '));
      throw new HoardError('METHOD_NOT_ALLOWED');
    }
    await route.handle(ctx, req, res, url);
  };
}

export function createTrackerServer(ctx: TrackerContext): http.Server {
  const server = createServer(dispatch(ctx), ctx.log);
  registerTrackerMetrics();
  observeHttp(server, routeNamer(ROUTES.map((r) => r.path)));
  // Without this listener Node answers 100 Continue by itself; handlers send it
  // only when they read a body (routes/body.ts), so refusals and upload
  // redirects reach the client before it sends any bytes.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));
  return server;
}
