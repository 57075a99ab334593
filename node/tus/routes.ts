// The node's routes for resumable uploads and proofs, one handler per verb.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import { TUS_NODE } from '../../common/protocol/routes.js';
import { UPLOAD_ID_RE } from '../../common/protocol/ids.js';
import type { NodeContext } from '../context.js';
import { handleProof } from '../http/proof.js';
import { handleCreate } from './create.js';
import { handleDelete } from './delete.js';
import { handleHead } from './head.js';
import { handleOptions } from './options.js';
import { handlePatch } from './patch.js';

/** Serves the request when its path is one of ours; false otherwise. */
export function routeResumable(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> | false {
  const path = url.pathname;
  if (path === TUS_NODE.proof) return only(req, res, 'POST').then(() => handleProof(ctx, req, res));
  if (path !== TUS_NODE.create && !path.startsWith(TUS_NODE.upload)) return false;
  const svc = ctx.tus;
  if (!svc) return Promise.reject(new HoardError('NOT_FOUND'));
  if (path === TUS_NODE.create) return only(req, res, 'POST').then(() => handleCreate(svc, req, res));
  const id = path.slice(TUS_NODE.upload.length);
  if (req.method === 'OPTIONS') {
    handleOptions(svc, res);
    return Promise.resolve();
  }
  if (!UPLOAD_ID_RE.test(id)) return Promise.reject(new HoardError('UPLOAD_NOT_FOUND'));
  switch (req.method) {
    case 'HEAD':
      return Promise.resolve().then(() => handleHead(svc, req, res, id));
    case 'PATCH':
      return handlePatch(svc, req, res, id);
    case 'DELETE':
      return handleDelete(svc, req, res, id);
    default:
      res.setHeader('allow', 'HEAD, PATCH, DELETE, OPTIONS');
      return Promise.reject(new HoardError('METHOD_NOT_ALLOWED'));
  }
}

async function only(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
  if (req.method === method) return;
  res.setHeader('allow', method);
  throw new HoardError('METHOD_NOT_ALLOWED');
}
