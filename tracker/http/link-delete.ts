// DELETE /api/links/<id> with the cluster credential: the link stops
// resolving at once; its blob loses a reference, and a blob left with none is
// deleted from every node by the gc worker after gcGrace seconds.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { AUTH_HEADER, TRACKER } from '../../common/protocol/routes.js';
import { LINK_ID_RE } from '../../common/protocol/ids.js';
import { bodyDigest, verifyClusterAuth } from '../../common/sign.js';
import type { RouteHandler } from '../context.js';
import { deleteLink } from '../meta/operations.js';
import { trackerMetrics } from '../metrics.js';

export interface LinkDeleted {
  id: string;
  blob: string;
  /** Links left on the blob. */
  refs: number;
  /** When the blob's bytes become eligible for GC (only when refs is 0). */
  gcAfter?: string;
}

export const linkDeleteRoute: RouteHandler = async (ctx, req, res, url) => {
  // A public path, so the credential is checked here rather than by the /internal/ gate.
  const header = req.headers[AUTH_HEADER];
  const digest = verifyClusterAuth(ctx.config.secret, req.method ?? '', req.url ?? '', typeof header === 'string' ? header : undefined);
  if (digest !== bodyDigest('')) throw new HoardError('UNAUTHORIZED', 'Credential was made for a request with a body');
  const id = url.pathname.slice(TRACKER.linkInfo.length);
  if (!LINK_ID_RE.test(id)) throw new HoardError('LINK_NOT_FOUND');
  const r = await deleteLink(ctx.store, id, new Date(ctx.now()).toISOString());
  if (!r) throw new HoardError('LINK_NOT_FOUND');
  trackerMetrics.linksDeleted().inc();
  const out: LinkDeleted = { id, blob: r.link.blobId, refs: r.blob?.refs ?? 0 };
  if (r.blob?.unreferencedSince) out.gcAfter = new Date(Date.parse(r.blob.unreferencedSince) + ctx.config.gcGrace * 1000).toISOString();
  ctx.log.info({ link: id, blob: out.blob, refs: out.refs, gcAfter: out.gcAfter }, 'link deleted');
  sendJson(res, 200, out);
};
