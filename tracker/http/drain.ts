// POST /internal/admin/nodes/<id>/drain {"drain": true|false} → NodeStatus.
// A draining node takes no new uploads or copies; the repair worker copies
// its blobs elsewhere and then drops them from it.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { NODE_ID_RE } from '../../common/protocol/ids.js';
import type { RouteHandler } from './handler.js';
import { object } from '../../common/protocol/fields.js';
import { readBody } from './body.js';
import { appendAudit } from '../meta/audit.js';
import { actorOf } from './takedowns.js';

export const adminDrain: RouteHandler = async (ctx, req, res, m) => {
  const id = m.params.id!;
  if (!NODE_ID_RE.test(id)) throw new HoardError('NOT_FOUND');
  const body = object(await readBody(req, res, m));
  const drain = body.drain ?? true;
  if (typeof drain !== 'boolean') throw new HoardError('BAD_REQUEST', 'drain must be true or false');
  const status = await ctx.topology.setDraining(id, drain);
  await appendAudit(ctx.store, ctx.now(), { actor: actorOf(req), action: drain ? 'node.drain' : 'node.undrain', target: status.id });
  ctx.log.warn({ node: status.id, drain }, drain ? 'node draining' : 'node drain ended');
  if (drain) ctx.replication.kick('repair');
  sendJson(res, 200, status);
};
