// POST /internal/proofs/verify (a node passes on a client's answer, once) and
// POST /internal/commit/proven (a node whose upload proved possession and
// matched the blob's prefix asks for the link, without a new copy).
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { isProofValue } from '../../common/protocol/proof.js';
import { NODE_ID_RE } from '../../common/protocol/ids.js';
import { TRACKER } from '../../common/protocol/routes.js';
import { type CommitResponse } from '../../common/protocol/types.js';
import { UPLOAD_ID_RE } from '../../common/protocol/ids.js';
import { type ProofVerifyResponse } from '../../common/protocol/types.js';
import type { RouteHandler } from './handler.js';
import { checkFilename } from '../../common/protocol/filename.js';
import { object, str } from '../../common/protocol/fields.js';
import { readBody } from './body.js';
import { ownerOf } from './commit.js';

export const verifyProofRoute: RouteHandler = async (ctx, req, res, m) => {
  const body = object(await readBody(req, res, m));
  const uploadId = str(body, 'uploadId', UPLOAD_ID_RE);
  const nodeId = str(body, 'nodeId', NODE_ID_RE);
  // A malformed answer is a wrong answer: same reply, and the challenge is used up all the same.
  const proof = isProofValue(body.proof) ? body.proof : '';
  const out: ProofVerifyResponse = await ctx.proofs.verify(uploadId, nodeId, proof);
  ctx.log.info({ upload: uploadId, node: nodeId, ok: out.ok }, 'proof of possession checked');
  sendJson(res, 200, out);
};

export const commitProvenRoute: RouteHandler = async (ctx, req, res, m) => {
  const body = object(await readBody(req, res, m));
  const uploadId = str(body, 'uploadId', UPLOAD_ID_RE);
  const nodeId = str(body, 'nodeId', NODE_ID_RE);
  const name = checkFilename(body.filename);
  const owner = ownerOf(ctx.config.secret, body, uploadId);
  const blobId = ctx.proofs.takeProven(uploadId, nodeId);
  if (!blobId) throw new HoardError('BAD_REQUEST', 'this upload has no proven possession to commit');
  const out = await ctx.committer.linkExisting(blobId, name, uploadId, owner);
  ctx.creations.finished(uploadId);
  ctx.log.info({ link: out.link.id, blob: blobId, upload: uploadId, node: nodeId }, 'early stop: link to a proven blob');
  const answer: CommitResponse = { link: `${ctx.publicUrl}${TRACKER.link}${out.link.id}`, id: out.link.id, dedup: true, nodes: out.blob.nodes };
  sendJson(res, 200, answer);
};
