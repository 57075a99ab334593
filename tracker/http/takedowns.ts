// The operator's takedown routes (cluster credential): issue a notice in
// one of three scopes, list the notices, show one, lift one; and the audit
// log of every admin action. hoard-admin takedown|audit call them.
import type { IncomingMessage } from 'node:http';
import { sendJson } from '../../common/http.js';
import { ACTOR_HEADER, ACTOR_RE, type AuditEntry } from '../../common/protocol/takedowns.js';
import { checkTakedownRequest } from '../takedowns/rules.js';
import { readBody, readOptionalBody } from './body.js';
import type { RouteHandler } from './handler.js';
import { page } from './validate.js';

const NOTICE_ID_RE = /^[0-9a-f]{16}$/;
const AUDIT_ID_RE = /^[0-9]{21}-[0-9a-f]{12}$/;

/** Who the operator is, as hoard-admin names them (the cluster credential says only that they hold it). */
export function actorOf(req: IncomingMessage): string {
  const v = req.headers[ACTOR_HEADER];
  return typeof v === 'string' && ACTOR_RE.test(v) ? v : 'operator';
}

/** POST /internal/admin/takedowns TakedownRequest → 201 TakedownInfo (with the uploaders' strikes). */
export const adminTakedownCreate: RouteHandler = async (ctx, req, res, m) => {
  const request = checkTakedownRequest(await readBody(req, res, m));
  sendJson(res, 201, await ctx.takedowns.desk.issue(request, actorOf(req)));
};

/** GET /internal/admin/takedowns[?after=ID&limit=N]: every notice, lifted ones included, in id order. */
export const adminTakedowns: RouteHandler = async (ctx, _req, res, m) => {
  const notices = await ctx.store.takedowns.list(page(m.url, NOTICE_ID_RE));
  sendJson(res, 200, notices.map((n) => ctx.takedowns.desk.info(n)));
};

/** GET /internal/admin/takedowns/<id>. */
export const adminTakedownShow: RouteHandler = async (ctx, _req, res, m) => {
  sendJson(res, 200, ctx.takedowns.desk.info(await ctx.takedowns.desk.get(m.params.id!)));
};

/** POST /internal/admin/takedowns/<id>/lift: the links answer again (unless purged), the content may be uploaded again. */
export const adminTakedownLift: RouteHandler = async (ctx, req, res, m) => {
  await readOptionalBody(req, res, m);
  sendJson(res, 200, await ctx.takedowns.desk.lift(m.params.id!, actorOf(req)));
};

/** GET /internal/admin/audit[?after=ID&limit=N]: the audit log, oldest first. */
export const adminAudit: RouteHandler = async (ctx, _req, res, m) => {
  const entries: AuditEntry[] = await ctx.store.audit.list(page(m.url, AUDIT_ID_RE));
  sendJson(res, 200, entries);
};
