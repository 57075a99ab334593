// POST /internal/admin/nodes/<id>/drain {"drain": true|false} → NodeStatus.
// A draining node takes no new uploads or copies; the repair worker copies
// its blobs elsewhere and then drops them from it.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { NODE_ID_RE } from '../../common/protocol/ids.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { RouteHandler } from '../context.js';
import { object } from './validate.js';
import { readBody } from './body.js';

export const adminDrain: RouteHandler = async (ctx, req, res, url) => {
  const m = /^([^/]+)\/drain$/.exec(url.pathname.slice(TRACKER.adminNodePrefix.length));
  if (!m || !NODE_ID_RE.test(m[1]!)) throw new HoardError('NOT_FOUND');
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    throw new HoardError('METHOD_NOT_ALLOWED');
  }
  const body = object(await readBody(req, res));
  const drain = body.drain ?? true;
  if (typeof drain !== 'boolean') throw new HoardError('BAD_REQUEST', 'drain must be true or false');
  const status = await ctx.topology.setDraining(m[1]!, drain);
  ctx.log.warn({ node: status.id, drain }, drain ? 'node draining' : 'node drain ended');
  if (drain) ctx.replication?.kick('repair');
  sendJson(res, 200, status);
};
