// The storage node's HTTP server: the router over the node's route table,
// request metrics by route, the load count, and the 100-continue gate that
// refuses an upload before its body is sent.
import type http from 'node:http';
import { toHoardError } from '../common/protocol/errors.js';
import { createServer, sendJson, type ServerTimeouts } from '../common/http.js';
import { observeHttp } from '../common/metrics.js';
import { createRouter, type CorsPolicy, type Router } from '../common/router.js';
import type { NodeContext } from './context.js';
import { nodeRoutes, UPLOAD_ROUTE, type NodeCaller } from './http/routes.js';
import { uploadRoute } from './http/upload.js';

export interface NodeServer {
  server: http.Server;
  router: Router<NodeCaller>;
}

export interface NodeServerOptions {
  cors: CorsPolicy;
  timeouts: ServerTimeouts;
  /** The bearer token GET /metrics accepts besides the cluster credential. */
  metricsToken: string | undefined;
}

export function createNodeServer(ctx: NodeContext, opts: NodeServerOptions): NodeServer {
  const upload = uploadRoute(ctx);
  const { cors, timeouts, metricsToken } = opts;
  const router = createRouter<NodeCaller>(nodeRoutes(ctx, upload), { secret: ctx.secret, metricsToken, caller: () => 'anonymous', cors });

  const server = createServer(
    (req, res, url) => {
      ctx.stats.inFlight++;
      res.once('close', () => ctx.stats.inFlight--);
      return router.handle(req, res, url);
    },
    ctx.log,
    timeouts,
  );
  observeHttp(server, router.routeOf, router.routes.map((r) => r.path));

  // With this listener Node no longer answers 100 itself: refuse a bad upload
  // before the client sends its body, else let the request through.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://h');
    } catch {
      url = new URL('http://h/');
    }
    const pass = () => {
      res.writeContinue();
      server.emit('request', req, res);
    };
    if (req.method !== 'PUT' || router.routeOf(url.pathname) !== UPLOAD_ROUTE) {
      pass();
      return;
    }
    upload.precheck(req, url).then(pass, (err: unknown) => {
      const e = toHoardError(err);
      // The body was never sent, so the connection cannot be reused for a next request.
      sendJson(res, e.status, e.toJSON(), { connection: 'close' });
      ctx.log.info({ method: req.method, path: url.pathname, status: e.status, code: e.code, expect: '100-continue' }, 'request');
    });
  });

  return { server, router };
}
