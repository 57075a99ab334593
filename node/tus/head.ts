// HEAD /tus/<id>: how far the upload got (Upload-Offset), its length and
// expiry, its challenge while unanswered, and its link once it ended.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Matched, RouteHandler } from '../../common/router.js';
import { checkTusRequest, uploadHeaders } from './headers.js';
import type { TusService } from './service.js';

export function headHandler(svc: TusService): RouteHandler<unknown> {
  return (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>): void => {
    checkTusRequest(req, res);
    const live = svc.get(m.params.id!);
    res.writeHead(200, uploadHeaders(live));
    res.end();
  };
}
