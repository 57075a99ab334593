// POST /internal/commit: a node reports a stored upload; answers CommitResponse.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { NODE_ID_RE } from '../../common/protocol/ids.js';
import { TRACKER } from '../../common/protocol/routes.js';
import { type CommitResponse } from '../../common/protocol/types.js';
import { UPLOAD_ID_RE } from '../../common/protocol/ids.js';
import type { RouteHandler } from './handler.js';
import { parseManifest } from '../index/manifest.js';
import { checkUpload } from '../index/upload-policy.js';
import { trackerMetrics } from '../metrics.js';
import { checkFilename } from '../../common/protocol/filename.js';
import { object, str } from '../../common/protocol/fields.js';
import { readBody } from './body.js';
import { quorumOf, zonesOf } from '../index/write-quorum.js';
import { MAX_FOLLOWERS } from '../../common/protocol/pipeline.js';
import { isOwnerToken, verifyOwner, type OwnerClaim } from '../../common/sign.js';

/**
 * The account a commit's upload is for: only as the tracker signed it for
 * this upload id (a node passes on what it was given and cannot name another
 * account). Undefined for an anonymous upload.
 */
export function ownerOf(secret: string, body: Record<string, unknown>, uploadId: string | undefined): OwnerClaim | undefined {
  if (body.owner === undefined) return undefined;
  if (!isOwnerToken(body.owner)) throw new HoardError('BAD_REQUEST', 'owner is malformed');
  if (uploadId === undefined) throw new HoardError('BAD_REQUEST', 'an owner needs the upload id it was signed for');
  return verifyOwner(secret, uploadId, body.owner);
}

/** The commit's followers: distinct node ids, the committing node not among them. */
function followerIds(v: unknown, nodeId: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > MAX_FOLLOWERS || !v.every((id) => typeof id === 'string' && NODE_ID_RE.test(id))) {
    throw new HoardError('BAD_REQUEST', 'followers must be a list of node ids');
  }
  const ids = v as string[];
  if (new Set(ids).size !== ids.length || ids.includes(nodeId)) throw new HoardError('BAD_REQUEST', 'followers must be distinct and not the committing node');
  return ids;
}

/** A manifest lists one ~90-byte entry per chunk: 32 MiB covers ~3 TiB at 8 MiB chunks. */
export const COMMIT_BODY_LIMIT = 32 * 1024 * 1024;

export const commitRoute: RouteHandler = async (ctx, req, res, m) => {
  const body = object(await readBody(req, res, m, COMMIT_BODY_LIMIT));
  const nodeId = str(body, 'nodeId', NODE_ID_RE);
  const name = checkFilename(body.filename);
  const manifest = parseManifest(body.manifest, (size) => checkUpload(ctx.config, { kind: 'node' }, size));
  const uploadId = body.uploadId === undefined ? undefined : str(body, 'uploadId', UPLOAD_ID_RE);
  const followers = followerIds(body.followers, nodeId);
  const owner = ownerOf(ctx.config.secret, body, uploadId);
  for (const id of [nodeId, ...followers]) if (!ctx.topology.get(id)) throw new HoardError('NODE_NOT_FOUND', `node ${id} is not registered`);
  const earlier = uploadId === undefined ? undefined : await ctx.store.uploads.linkOf(uploadId);
  if (earlier !== undefined) {
    // A second upload under a spent upload URL (the node forgot it, e.g. after a restart): refused, not linked.
    if ((await ctx.store.links.get(earlier))?.blobId !== manifest.id) {
      throw new HoardError('UPLOAD_URL_USED', 'This upload id already ended as a link to other content');
    }
    // A node retrying a commit it lost the answer to: the same link, not a second one.
    const blob = await ctx.store.blobs.get(manifest.id);
    const retried: CommitResponse = { link: `${ctx.publicUrl}${TRACKER.link}${earlier}`, id: earlier, dedup: true, nodes: blob?.nodes ?? [], ...(blob ? { created: blob.created } : {}) };
    sendJson(res, 200, retried);
    return;
  }
  const out = await ctx.committer.commit(nodeId, name, manifest, { uploadId, followers, owner });
  if (uploadId !== undefined) ctx.creations.finished(uploadId);
  ctx.log.info({ link: out.link.id, blob: out.blob.id, size: out.blob.size, node: nodeId, followers, dedup: out.dedup, uploader: owner?.user }, 'commit');
  // The link is acknowledged now: with copies in fewer zones than the quorum, say so (accepted under quorum, or a copy lost on the way).
  const quorum = quorumOf(ctx.config);
  const zones = zonesOf(out.blob.nodes, (id) => ctx.topology.get(id)?.zone);
  if (zones < quorum) ctx.underQuorum.note({ blob: out.blob.id, link: out.link.id, zones, quorum });
  ctx.replication.blobCommitted(out.blob);
  trackerMetrics.uploads().inc();
  if (out.dedup) trackerMetrics.dedupHits().inc();
  const answer: CommitResponse = {
    link: `${ctx.publicUrl}${TRACKER.link}${out.link.id}`,
    id: out.link.id,
    dedup: out.dedup,
    nodes: out.blob.nodes,
    created: out.blob.created,
  };
  sendJson(res, 200, answer);
};
