// PUT /upload/<filename> → 307 to a signed node URL; POST /api/uploads → the
// same target as JSON. The tracker never reads upload bodies.
import { randomBytes } from 'node:crypto';
import { sendJson } from '../../common/http.js';
import { NODE } from '../../common/protocol/routes.js';
import { type UploadTarget } from '../../common/protocol/types.js';
import { addPipeline, signOwner, signUploadUrl, type UploadBinding } from '../../common/sign.js';
import type { TrackerContext } from '../context.js';
import type { RouteHandler } from './handler.js';
import { UPLOAD_FILL_BAND } from '../cluster/placement.js';
import { placeUpload } from '../index/write-quorum.js';
import { admitUpload, type UploadGrant } from '../index/upload-policy.js';
import { checkFilename, decodeFilename } from '../../common/protocol/filename.js';
import { object, optionalInt } from '../../common/protocol/fields.js';
import { declaredUploadLength, readBody } from './body.js';

/**
 * The node an upload goes to and, under a write quorum, the followers it
 * streams the bytes to, carried in the URL with their own signature.
 * `size` undefined: not declared (a chunked body), the URL then takes any
 * length up to the node's limit and the grant's cap. The grant's owner is
 * signed for this upload alone and bound into the URL's signature: the
 * client cannot drop or change it, and the node passes it on to the commit.
 */
export function uploadTarget(ctx: TrackerContext, filename: string, size: number | undefined, grant: UploadGrant): UploadTarget {
  const { first, followers } = placeUpload(ctx.config, { nodes: ctx.topology.list(), size: size ?? 0, margin: ctx.config.uploadMargin, random: ctx.random, fillBand: UPLOAD_FILL_BAND }, ctx.log);
  const exp = Math.floor(ctx.now() / 1000) + ctx.config.urlTtl;
  const base = first.publicUrl + NODE.upload + encodeURIComponent(filename);
  // Good for one upload of this size to this node: a second use, another node or another length is refused there.
  const uploadId = randomBytes(16).toString('base64url');
  const binding: UploadBinding = { uploadId, node: first.id, size };
  if (grant.owner) binding.owner = signOwner(ctx.config.secret, uploadId, grant.owner);
  if (grant.max !== undefined) binding.max = grant.max;
  const signed = signUploadUrl(ctx.config.secret, base, filename, exp, binding);
  const url = followers.length > 0 ? addPipeline(ctx.config.secret, signed, followers) : signed;
  return { url, node: first.id, expires: exp };
}

export const uploadRedirect: RouteHandler = async (ctx, req, res, m) => {
  const name = decodeFilename(m.params.name!);
  const size = declaredUploadLength(req);
  const grant = await admitUpload(ctx.config, ctx.store, m.caller!, size);
  const target = uploadTarget(ctx, name, size, grant);
  sendJson(res, 307, { url: target.url }, { location: target.url });
};

export const uploadTargetRoute: RouteHandler = async (ctx, req, res, m) => {
  const body = object(await readBody(req, res, m));
  const name = checkFilename(body.filename);
  const size = optionalInt(body, 'size', 0);
  const grant = await admitUpload(ctx.config, ctx.store, m.caller!, size);
  sendJson(res, 200, uploadTarget(ctx, name, size, grant));
};
