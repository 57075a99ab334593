// GET|HEAD /f/<id> → 302 to a signed download URL on a live holder, or for
// a browser (Accept: text/html) the link page, whose download button comes
// back here with ?download=1 for the redirect; GET /api/links/<id> → LinkInfo.
import { downloadSizeVerdict, limitsOf } from '../accounts/limits.js';
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { LINK_ID_RE, NODE_ID_RE } from '../../common/protocol/ids.js';
import { LINK_DOWNLOAD_PARAM, NODE, NODE_ID_HEADER, TRACKER } from '../../common/protocol/routes.js';
import { type LinkInfo } from '../../common/protocol/types.js';
import { signUrl } from '../../common/sign.js';
import type { TrackerContext } from '../context.js';
import type { RouteHandler } from './handler.js';
import type { BlobRecord, LinkRecord } from '../meta/store.js';
import { chooseReadNode } from '../cluster/placement.js';
import { renderErrorPage } from '../web/error-page.js';
import { renderLinkPage, type LinkAccess } from '../web/link-page.js';
import type { Tier } from '../../common/protocol/tiers.js';
import { wantsHtml } from '../web/negotiate.js';
import { sendPage } from '../web/send.js';
import { shellFor } from './pages.js';
import { callerKey } from './caller.js';
import { DownloadBusy } from '../downloads/desk.js';
import { NOTICE_HEADER, takenDownMessage } from '../../common/protocol/takedowns.js';
import type { ServerResponse } from 'node:http';

/** The query parameter that asks for the download itself, whatever Accept says (the link page's button, a node's heal-on-read redirect). */
export const DOWNLOAD_PARAM = LINK_DOWNLOAD_PARAM;

/** The link and its blob, unless a takedown notice in force stops the link (451 with the notice's reference). */
async function resolve(ctx: TrackerContext, res: ServerResponse, id: string): Promise<{ link: LinkRecord; blob: BlobRecord }> {
  const link = LINK_ID_RE.test(id) ? await ctx.store.links.get(id) : undefined;
  if (!link) throw new HoardError('LINK_NOT_FOUND');
  const notice = ctx.takedowns.book.blocking(link);
  if (notice) {
    if (notice.ref !== undefined) res.setHeader(NOTICE_HEADER, notice.ref);
    throw new HoardError('TAKEN_DOWN', takenDownMessage(notice.ref));
  }
  const blob = await ctx.store.blobs.get(link.blobId);
  if (!blob) throw new HoardError('INTERNAL', `link ${id} names missing blob ${link.blobId}`);
  return { link, blob };
}

export function linkInfo(ctx: TrackerContext, link: LinkRecord, blob: BlobRecord): LinkInfo {
  return {
    id: link.id,
    link: `${ctx.publicUrl}${TRACKER.link}${link.id}`,
    filename: link.filename,
    size: blob.size,
    md5: blob.md5,
    sha256: blob.sha256,
    created: link.created,
  };
}

/** What the caller's tier allows for a file of `size` right now (the link page says it in words). */
function linkAccess(ctx: TrackerContext, tier: Tier, size: number): LinkAccess {
  const desk = ctx.downloads;
  const happy = desk.happyHour();
  const now = desk.limits(tier, happy);
  const base = desk.limits(tier, { on: false, window: undefined });
  const iso = (ms: number): string => new Date(ms).toISOString();
  const lifts = (base.rate > 0 || base.oneAtATime) && desk.policy.happyTiers.includes(tier);
  const access: LinkAccess = {
    tier,
    rate: now.rate,
    oneAtATime: now.oneAtATime,
    happy: { on: happy.on, lifts, ...(happy.window ? { start: iso(happy.window.start), end: iso(happy.window.end) } : {}) },
  };
  const fits = downloadSizeVerdict(limitsOf(ctx.config, tier), tier, size);
  if (!fits.ok) access.sizeLimit = fits.max;
  return access;
}

export const linkRoute: RouteHandler = async (ctx, req, res, m) => {
  // The same URL answers a page or a redirect: caches must keep them apart.
  res.setHeader('vary', 'Accept');
  if (!wantsHtml(req)) return linkRedirect(ctx, req, res, m);
  const shell = shellFor(ctx, m.caller);
  try {
    if (m.url.searchParams.has(DOWNLOAD_PARAM)) return await linkRedirect(ctx, req, res, m);
    const { link, blob } = await resolve(ctx, res, m.params.id!);
    const info = linkInfo(ctx, link, blob);
    const download = `${TRACKER.link}${encodeURIComponent(link.id)}?${DOWNLOAD_PARAM}=1`;
    sendPage(req, res, 200, renderLinkPage(shell, { ...info, download, access: linkAccess(ctx, m.caller!.tier, blob.size) }));
  } catch (err) {
    // A browser gets the refusal in words, with the status a script would see.
    const page = renderErrorPage(shell, err);
    if (page.status >= 500) ctx.log.error({ err, link: m.params.id }, 'link page failed');
    sendPage(req, res, page.status, page.body);
  }
};

const linkRedirect: RouteHandler = async (ctx, _req, res, m) => {
  const { link, blob } = await resolve(ctx, res, m.params.id!);
  const tier = m.caller!.tier;
  const allowed = downloadSizeVerdict(limitsOf(ctx.config, tier), tier, blob.size);
  if (!allowed.ok) throw new HoardError('DOWNLOAD_TOO_LARGE', allowed.message);
  // ?avoid=<node id> (repeatable): where this client just failed; used only when no other copy is live.
  const avoid = m.url.searchParams.getAll('avoid').filter((id) => NODE_ID_RE.test(id)).slice(0, 16);
  const node = chooseReadNode(ctx.topology.list(), blob.nodes, ctx.random, avoid);
  if (!node) throw new HoardError('NO_LIVE_COPY');
  const caller = m.caller!;
  let policy;
  try {
    policy = await ctx.downloads.claims({ tier: caller.tier, holder: callerKey(caller) }, blob.id, link.filename);
  } catch (err) {
    if (err instanceof DownloadBusy) res.setHeader('retry-after', String(err.retryAfterS));
    throw err;
  }
  // Every download carries an id its nodes report the bytes they serve under: complete, it counts for the link (and may earn its uploader a point).
  const download = ctx.followed.open({ holder: callerKey(caller), linkId: link.id, blobId: blob.id, size: blob.size });
  ctx.rewards.open(
    {
      ip: caller.ip,
      downloader: caller.kind === 'user' ? caller.userId : undefined,
      linkId: link.id,
      uploader: link.uploader,
      blobId: blob.id,
      size: blob.size,
    },
    download,
  );
  policy = { ...policy, download };
  const exp = Math.floor(ctx.now() / 1000) + ctx.config.urlTtl;
  // The link rides along, signed: a node whose copy fails its check sends the reader back through it.
  // So does the download's policy (tier, rate, lease, happy window): the node enforces it without asking here.
  const target = signUrl(ctx.config.secret, node.publicUrl + NODE.blob + blob.id, { verb: 'GET', resource: blob.id, exp, extra: link.filename, link: link.id, policy });
  sendJson(res, 302, { url: target }, { location: target, [NODE_ID_HEADER]: node.id });
};

export const linkInfoRoute: RouteHandler = async (ctx, _req, res, m) => {
  const { link, blob } = await resolve(ctx, res, m.params.id!);
  sendJson(res, 200, linkInfo(ctx, link, blob));
};
