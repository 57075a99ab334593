// POST /internal/proofs/verify (a node passes on a client's answer, once) and
// POST /internal/commit/proven (a node whose upload proved possession and
// matched the blob's prefix asks for the link, without a new copy). Either
// may reach a tracker other than the one that issued the challenge: the
// node sends the challenge along, and this tracker checks the answer itself.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { formatChallenge, isProofValue, parseChallenge } from '../../common/protocol/proof.js';
import { MD5_RE, NODE_ID_RE, SHA256_RE } from '../../common/protocol/ids.js';
import { TRACKER } from '../../common/protocol/routes.js';
import { type CommitResponse, type IssuedChallenge } from '../../common/protocol/types.js';
import { UPLOAD_ID_RE } from '../../common/protocol/ids.js';
import { type ProofVerifyResponse } from '../../common/protocol/types.js';
import type { RouteHandler } from './handler.js';
import { checkFilename } from '../../common/protocol/filename.js';
import { int, object, str } from '../../common/protocol/fields.js';
import { readBody } from './body.js';
import { ownerOf } from './commit.js';
import { findCandidate } from '../index/prefix-index.js';
import type { TrackerContext } from '../context.js';

const isRange = (r: unknown): r is [number, number] => Array.isArray(r) && r.length === 2 && r.every((x) => Number.isSafeInteger(x));

/** The challenge a node passes on (IssuedChallenge); undefined when absent, BAD_REQUEST when malformed. */
function issuedOf(v: unknown): IssuedChallenge | undefined {
  if (v === undefined) return undefined;
  const o = object(v, 'issued');
  const length = int(o, 'length', 1);
  const d = object(o.declared, 'issued.declared');
  const declared = { md5: str(d, 'md5', MD5_RE), sha256: str(d, 'sha256', SHA256_RE) };
  const c = object(o.challenge, 'issued.challenge');
  const ranges = Array.isArray(c.ranges) && c.ranges.every(isRange) ? c.ranges : [];
  const challenge = typeof c.nonce === 'string' ? parseChallenge(formatChallenge({ nonce: c.nonce, ranges }), length) : undefined;
  if (!challenge) throw new HoardError('BAD_REQUEST', 'issued.challenge is malformed or outside the upload');
  return { challenge, length, declared };
}

/** Takes the challenge from the node when another tracker issued it; its candidate is looked up here, as at creation. */
async function adoptIssued(ctx: TrackerContext, uploadId: string, nodeId: string, issued: IssuedChallenge | undefined): Promise<void> {
  if (!issued || ctx.proofs.knows(uploadId)) return;
  const candidate = await findCandidate(ctx.store, { ...issued.declared, size: issued.length });
  ctx.proofs.adopt(uploadId, nodeId, issued.length, issued.challenge, candidate);
}

export const verifyProofRoute: RouteHandler = async (ctx, req, res, m) => {
  const body = object(await readBody(req, res, m));
  const uploadId = str(body, 'uploadId', UPLOAD_ID_RE);
  const nodeId = str(body, 'nodeId', NODE_ID_RE);
  // A malformed answer is a wrong answer: same reply, and the challenge is used up all the same.
  const proof = isProofValue(body.proof) ? body.proof : '';
  await adoptIssued(ctx, uploadId, nodeId, issuedOf(body.issued));
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
  let blobId = ctx.proofs.takeProven(uploadId, nodeId);
  const issued = issuedOf(body.issued);
  if (!blobId && issued && isProofValue(body.proof) && !ctx.proofs.knows(uploadId)) {
    // Checked at another tracker: checked again here, once.
    await adoptIssued(ctx, uploadId, nodeId, issued);
    if ((await ctx.proofs.verify(uploadId, nodeId, body.proof)).ok) blobId = ctx.proofs.takeProven(uploadId, nodeId);
  }
  if (!blobId) throw new HoardError('BAD_REQUEST', 'this upload has no proven possession to commit');
  const out = await ctx.committer.linkExisting(blobId, name, uploadId, owner);
  ctx.creations.finished(uploadId);
  ctx.log.info({ link: out.link.id, blob: blobId, upload: uploadId, node: nodeId }, 'early stop: link to a proven blob');
  const answer: CommitResponse = { link: `${ctx.publicUrl}${TRACKER.link}${out.link.id}`, id: out.link.id, dedup: true, nodes: out.blob.nodes };
  sendJson(res, 200, answer);
};
