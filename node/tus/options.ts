// OPTIONS /tus/<id>: what this node supports, no version check (tus core).
// A browser's CORS preflight (OPTIONS with Access-Control-Request-Method)
// never reaches here: the router answers it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteHandler } from '../../common/router.js';
import { tusOptionsHeaders } from '../../common/protocol/tus.js';
import type { TusService } from './service.js';

export function optionsHandler(svc: TusService): RouteHandler<unknown> {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(204, tusOptionsHeaders(svc.maxUploadSize));
    res.end();
  };
}
