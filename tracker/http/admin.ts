// GET /internal/admin/{nodes,blobs,links,stats}: the index as the admin CLI reads it.
import { sendJson } from '../../common/http.js';
import { LINK_ID_RE, SHA256_RE } from '../../common/protocol/ids.js';
import { noUploadRoom } from '../../common/protocol/integrity.js';
import { type ClusterStats, type LinkInfo } from '../../common/protocol/types.js';
import type { TrackerContext } from '../context.js';
import type { RouteHandler } from './handler.js';
import type { BlobRecord } from '../meta/store.js';
import { page } from './validate.js';
import { linkInfo } from './links.js';

export const adminNodes: RouteHandler = (ctx, _req, res) => {
  const margin = ctx.config.uploadMargin;
  sendJson(
    res,
    200,
    ctx.topology.list().map((n) => (n.reserveBytes !== undefined && noUploadRoom(n.totalBytes, n.reserveBytes, margin) ? { ...n, tooSmall: true } : n)),
  );
};

export const adminBlobs: RouteHandler = async (ctx, _req, res, m) => {
  sendJson(res, 200, await ctx.store.blobs.list(page(m.url, SHA256_RE)));
};

export const adminLinks: RouteHandler = async (ctx, _req, res, m) => {
  const links = await ctx.store.links.list(page(m.url, LINK_ID_RE));
  const blobs = new Map<string, BlobRecord | undefined>();
  const out: LinkInfo[] = [];
  for (const l of links) {
    if (!blobs.has(l.blobId)) blobs.set(l.blobId, await ctx.store.blobs.get(l.blobId));
    const blob = blobs.get(l.blobId);
    if (blob) out.push(linkInfo(ctx, l, blob));
    else ctx.log.error({ link: l.id, blob: l.blobId }, 'link names a missing blob');
  }
  sendJson(res, 200, out);
};

export const adminStats: RouteHandler = async (ctx, _req, res) => {
  sendJson(res, 200, await clusterStats(ctx));
};

/** The cluster's totals as `hoard-admin stats` and the cluster page show them. */
export async function clusterStats(ctx: TrackerContext): Promise<ClusterStats> {
  const c = await ctx.store.counters();
  const nodes = ctx.topology.list();
  const up = nodes.filter((n) => n.state === 'up').length;
  const stats: ClusterStats = {
    blobs: c.blobs,
    links: c.links,
    bytesStored: c.bytesStored,
    logicalBytes: c.logicalBytes,
    bytesSavedByDedup: c.logicalBytes - c.uniqueBytes,
    nodesUp: up,
    nodesDown: nodes.length - up,
  };
  return stats;
}
