// A node's partial uploads as the cluster sees them (tus concatenation):
// GET /internal/tus/<id> tells the tracker how far an upload got, GET
// /internal/tus/<id>/bytes sends a complete part to the node joining it into
// a final upload, DELETE /internal/tus/<id> drops a part once joined.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { sendJson } from '../../common/http.js';
import type { Matched, RouteHandler } from '../../common/router.js';
import type { TusService } from '../tus/service.js';

export function tusInfoHandler(svc: TusService): RouteHandler<unknown> {
  return (_req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => sendJson(res, 200, svc.info(m.params.id!));
}

export function tusPartBytesHandler(svc: TusService): RouteHandler<unknown> {
  return async (_req: IncomingMessage, res: ServerResponse, m: Matched<unknown>): Promise<void> => {
    const id = m.params.id!;
    const { length } = svc.info(id);
    const bytes = svc.partBytes(id);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(length) });
    await pipeline(Readable.from(bytes), res);
  };
}

export function tusPartDropHandler(svc: TusService): RouteHandler<unknown> {
  return async (_req: IncomingMessage, res: ServerResponse, m: Matched<unknown>): Promise<void> => {
    sendJson(res, 200, { removed: await svc.removePart(m.params.id!) });
  };
}
