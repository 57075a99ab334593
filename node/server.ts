// The storage node's HTTP surface: routes, and the 100-continue gate that
// refuses an upload before its body is sent.
import type http from 'node:http';
import { HoardError, toHoardError } from '../common/protocol/errors.js';
import { createServer, DEFAULT_TIMEOUTS, sendJson, type ServerTimeouts } from '../common/http.js';
import { observeHttp, routeNamer, sendMetrics } from '../common/metrics.js';
import { NODE } from '../common/protocol/routes.js';
import type { NodeContext } from './context.js';
import { handleDownload } from './http/download.js';
import { handleInternalBlobs, isInternalBlobsPath } from './http/internal-blobs.js';
import { handleInternalWorkers, isInternalWorkersPath } from './http/internal-workers.js';
import { createUploadHandler } from './http/upload.js';
import { routeResumable } from './tus/routes.js';

export function createNodeServer(ctx: NodeContext, timeouts: ServerTimeouts = DEFAULT_TIMEOUTS): http.Server {
  const upload = createUploadHandler(ctx);

  const server = createServer(
    async (req, res, url) => {
      ctx.stats.inFlight++;
      res.once('close', () => ctx.stats.inFlight--);
      const path = url.pathname;
      if (path.startsWith(NODE.upload)) {
        if (req.method !== 'PUT') throw notAllowed(res, 'PUT');
        return upload.handle(req, res, url);
      }
      if (path.startsWith(NODE.blob)) {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw notAllowed(res, 'GET, HEAD');
        return handleDownload(ctx, req, res, url);
      }
      const resumable = routeResumable(ctx, req, res, url);
      if (resumable) return resumable;
      if (isInternalBlobsPath(path)) return handleInternalBlobs(ctx, req, res, url);
      if (isInternalWorkersPath(path)) return handleInternalWorkers(ctx, req, res, url);
      if (path === NODE.health) {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw notAllowed(res, 'GET, HEAD');
        sendJson(res, 200, { ok: true, id: ctx.nodeId });
        return;
      }
      if (path === NODE.metrics) {
        if (req.method !== 'GET') throw notAllowed(res, 'GET');
        return sendMetrics(res);
      }
      throw new HoardError('NOT_FOUND');
    },
    ctx.log,
    timeouts,
  );
  observeHttp(server, routeNamer([NODE.upload, NODE.blob, NODE.health, NODE.metrics, NODE.internalBlobs, NODE.internalBlobs + '/', NODE.workers, NODE.workers + '/']));

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
    if (req.method !== 'PUT' || !url.pathname.startsWith(NODE.upload)) {
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

  return server;
}

function notAllowed(res: http.ServerResponse, allow: string): HoardError {
  res.setHeader('allow', allow);
  return new HoardError('METHOD_NOT_ALLOWED');
}
