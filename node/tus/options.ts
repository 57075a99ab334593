// OPTIONS /tus/<id> (or /tus/): what this node supports, no version check (tus core).
import type { ServerResponse } from 'node:http';
import { TUS_EXPOSE, tusOptionsHeaders } from '../../common/protocol/tus.js';
import type { TusService } from './service.js';

export function handleOptions(svc: TusService, res: ServerResponse): void {
  res.writeHead(204, {
    ...tusOptionsHeaders(svc.maxUploadSize),
    'access-control-allow-methods': 'HEAD, PATCH, DELETE, OPTIONS',
    'access-control-allow-headers': 'Tus-Resumable, Upload-Offset, Upload-Checksum, Content-Type, Hoard-Proof',
    'access-control-expose-headers': TUS_EXPOSE,
  });
  res.end();
}
