// DELETE /tus/<id> (tus termination): the upload and its bytes are dropped.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import type { Matched, RouteHandler } from '../../common/router.js';
import { checkTusRequest } from './headers.js';
import type { TusService } from './service.js';

export function deleteHandler(svc: TusService): RouteHandler<unknown> {
  return async (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>): Promise<void> => {
    checkTusRequest(req, res);
    const live = svc.get(m.params.id!);
    if (live.busy) throw new HoardError('UPLOAD_LOCKED');
    live.busy = true;
    try {
      await svc.remove(live);
    } finally {
      live.busy = false;
    }
    res.writeHead(204);
    res.end();
  };
}
