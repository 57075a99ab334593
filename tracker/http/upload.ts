// PUT /upload/<filename> → 307 to a signed node URL; POST /api/uploads → the
// same target as JSON. The tracker never reads upload bodies.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { NODE, TRACKER } from '../../common/protocol/routes.js';
import { type UploadTarget } from '../../common/protocol/types.js';
import { signUrl } from '../../common/sign.js';
import type { RouteHandler, TrackerContext } from '../context.js';
import { choosePlacement } from '../cluster/placement.js';
import { checkFilename, decodeFilename } from '../../common/protocol/filename.js';
import { object, optionalInt } from './validate.js';
import { declaredLength, readBody } from './body.js';

/** Free space a node must keep beyond an upload: its own reserve, and heartbeat lag. */
export const UPLOAD_MARGIN_BYTES = 64 * 1024 * 1024;
/** New uploads go to the emptiest nodes (within this many used-fraction points): a new node fills first. */
export const UPLOAD_FILL_BAND = 0.05;

function checkSize(ctx: TrackerContext, size: number | undefined): void {
  if (size !== undefined && size > ctx.config.maxUploadSize) {
    throw new HoardError('PAYLOAD_TOO_LARGE', `uploads are limited to ${ctx.config.maxUploadSize} bytes`);
  }
}

export function uploadTarget(ctx: TrackerContext, filename: string, size: number): UploadTarget {
  const d = choosePlacement({ nodes: ctx.topology.list(), size, margin: ctx.config.uploadMargin ?? UPLOAD_MARGIN_BYTES, random: ctx.random, fillBand: UPLOAD_FILL_BAND });
  if (!d.ok) {
    ctx.log.warn({ reason: d.reason, size }, d.detail);
    throw new HoardError('NO_NODE_AVAILABLE', d.detail);
  }
  const exp = Math.floor(ctx.now() / 1000) + ctx.config.urlTtl;
  const base = d.node.publicUrl + NODE.upload + encodeURIComponent(filename);
  const url = signUrl(ctx.config.secret, base, { verb: 'PUT', resource: filename, exp, extra: '' });
  return { url, node: d.node.id, expires: exp };
}

export const uploadRedirect: RouteHandler = (ctx, req, res, url) => {
  const name = decodeFilename(url.pathname.slice(TRACKER.upload.length));
  const size = declaredLength(req);
  checkSize(ctx, size);
  const target = uploadTarget(ctx, name, size ?? 0);
  sendJson(res, 307, { url: target.url }, { location: target.url });
};

export const uploadTargetRoute: RouteHandler = async (ctx, req, res) => {
  const body = object(await readBody(req, res));
  const name = checkFilename(body.filename);
  const size = optionalInt(body, 'size', 0);
  checkSize(ctx, size);
  sendJson(res, 200, uploadTarget(ctx, name, size ?? 0));
};
