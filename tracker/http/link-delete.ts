// DELETE /api/links/<id> with the cluster credential: the link stops
// resolving at once; its blob loses a reference, and a blob left with none is
// deleted from every node by the gc worker after gcGrace seconds.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { LINK_ID_RE } from '../../common/protocol/ids.js';
import type { LinkDeleted } from '../../common/protocol/types.js';
import { bodyDigest } from '../../common/sign.js';
import type { RouteHandler } from './handler.js';
import { deleteLink } from '../meta/operations.js';
import { trackerMetrics } from '../metrics.js';
import { appendAudit } from '../meta/audit.js';
import { actorOf } from './takedowns.js';

export const linkDeleteRoute: RouteHandler = async (ctx, req, res, m) => {
  // The router checked the credential (an admin route); this one takes no body.
  if (m.bodyDigest !== bodyDigest('')) throw new HoardError('UNAUTHORIZED', 'Credential was made for a request with a body');
  const id = m.params.id!;
  if (!LINK_ID_RE.test(id)) throw new HoardError('LINK_NOT_FOUND');
  const r = await deleteLink(ctx.store, id, new Date(ctx.now()).toISOString());
  if (!r) throw new HoardError('LINK_NOT_FOUND');
  trackerMetrics.linksDeleted().inc();
  await appendAudit(ctx.store, ctx.now(), { actor: actorOf(req), action: 'link.delete', target: id, detail: `blob ${r.link.blobId}` });
  const out: LinkDeleted = { id, blob: r.link.blobId, refs: r.blob?.refs ?? 0 };
  if (r.blob?.unreferencedSince) out.gcAfter = new Date(Date.parse(r.blob.unreferencedSince) + ctx.config.gcGrace * 1000).toISOString();
  ctx.log.info({ link: id, blob: out.blob, refs: out.refs, gcAfter: out.gcAfter }, 'link deleted');
  sendJson(res, 200, out);
};
