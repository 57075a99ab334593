// PUT /upload/<filename> → 307 to a signed node URL; POST /api/uploads → the
// same target as JSON. The tracker never reads upload bodies.
import { sendJson } from '../../common/http.js';
import { NODE } from '../../common/protocol/routes.js';
import { type UploadTarget } from '../../common/protocol/types.js';
import { addPipeline, signUrl } from '../../common/sign.js';
import type { TrackerContext } from '../context.js';
import type { RouteHandler } from './handler.js';
import { UPLOAD_FILL_BAND } from '../cluster/placement.js';
import { placeUpload } from '../index/write-quorum.js';
import { checkUpload } from '../index/upload-policy.js';
import { checkFilename, decodeFilename } from '../../common/protocol/filename.js';
import { object, optionalInt } from '../../common/protocol/fields.js';
import { declaredLength, readBody } from './body.js';

/**
 * The node an upload goes to and, under a write quorum, the followers it
 * streams the bytes to, carried in the URL with their own signature.
 */
export function uploadTarget(ctx: TrackerContext, filename: string, size: number): UploadTarget {
  const { first, followers } = placeUpload(ctx.config, { nodes: ctx.topology.list(), size, margin: ctx.config.uploadMargin, random: ctx.random, fillBand: UPLOAD_FILL_BAND }, ctx.log);
  const exp = Math.floor(ctx.now() / 1000) + ctx.config.urlTtl;
  const base = first.publicUrl + NODE.upload + encodeURIComponent(filename);
  const signed = signUrl(ctx.config.secret, base, { verb: 'PUT', resource: filename, exp, extra: '' });
  const url = followers.length > 0 ? addPipeline(ctx.config.secret, signed, followers) : signed;
  return { url, node: first.id, expires: exp };
}

export const uploadRedirect: RouteHandler = (ctx, req, res, m) => {
  const name = decodeFilename(m.params.name!);
  const size = declaredLength(req);
  checkUpload(ctx.config, m.caller!, size);
  const target = uploadTarget(ctx, name, size ?? 0);
  sendJson(res, 307, { url: target.url }, { location: target.url });
};

export const uploadTargetRoute: RouteHandler = async (ctx, req, res, m) => {
  const body = object(await readBody(req, res, m));
  const name = checkFilename(body.filename);
  const size = optionalInt(body, 'size', 0);
  checkUpload(ctx.config, m.caller!, size);
  sendJson(res, 200, uploadTarget(ctx, name, size ?? 0));
};
