// HEAD /tus/<id>: how far the upload got (Upload-Offset), its length and
// expiry, its challenge while unanswered, and its link once it ended.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkTusRequest, uploadHeaders } from './headers.js';
import type { TusService } from './service.js';

export function handleHead(svc: TusService, req: IncomingMessage, res: ServerResponse, id: string): void {
  checkTusRequest(req, res);
  const live = svc.get(id);
  res.writeHead(200, uploadHeaders(live));
  res.end();
}
