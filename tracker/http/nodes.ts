// POST /internal/nodes/register and /internal/nodes/heartbeat.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { NODE_ID_RE, ZONE_RE } from '../../common/protocol/ids.js';
import { type Heartbeat, type NodeRegistration } from '../../common/protocol/types.js';
import type { RouteHandler } from './handler.js';
import { int, object, str } from '../../common/protocol/fields.js';
import { publicUrl } from './validate.js';
import { readBody } from './body.js';

function space(o: Record<string, unknown>): { freeBytes: number; totalBytes: number } {
  const freeBytes = int(o, 'freeBytes', 0);
  const totalBytes = int(o, 'totalBytes', 0);
  if (freeBytes > totalBytes) throw new HoardError('BAD_REQUEST', 'freeBytes exceeds totalBytes');
  return { freeBytes, totalBytes };
}

export function parseRegistration(v: unknown): NodeRegistration {
  const o = object(v);
  return { id: str(o, 'id', NODE_ID_RE), zone: str(o, 'zone', ZONE_RE), publicUrl: publicUrl(o, 'publicUrl'), ...space(o) };
}

export function parseHeartbeat(v: unknown): Heartbeat {
  const o = object(v);
  return { id: str(o, 'id', NODE_ID_RE), ...space(o), load: int(o, 'load', 0), blobCount: int(o, 'blobCount', 0) };
}

export const registerRoute: RouteHandler = async (ctx, req, res, m) => {
  const reg = parseRegistration(await readBody(req, res, m));
  const known = ctx.topology.get(reg.id) !== undefined;
  await ctx.topology.register(reg);
  ctx.log.info({ node: reg.id, zone: reg.zone, url: reg.publicUrl }, 'node registered');
  // A node seen before may return with copies the index dropped or lacking ones it lists; a new one holds nothing yet.
  if (known) ctx.replication.nodeRegistered(reg.id);
  sendJson(res, 200, { ok: true });
};

export const heartbeatRoute: RouteHandler = async (ctx, req, res, m) => {
  const hb = parseHeartbeat(await readBody(req, res, m));
  await ctx.topology.heartbeat(hb);
  sendJson(res, 200, { ok: true });
};
