// POST /internal/replicas/<id>/verify: re-read a stored copy and check each
// chunk against its size and SHA-256 in the manifest (the chunk store's own
// check, cache bypassed). The tracker asks before it counts a copy it did not
// see arrive (a node that came back with blobs the index no longer lists for it).
import { HoardError } from '../common/errors.js';
import type { ReplicaVerifyResult } from '../common/protocol.js';
import type { NodeContext } from './context.js';

export async function verifyReplica(ctx: NodeContext, id: string): Promise<ReplicaVerifyResult> {
  const blob = await ctx.store.get(id);
  if (!blob) throw new HoardError('BLOB_NOT_FOUND');
  const m = blob.manifest;
  const check = await ctx.store.verify(id, { force: true });
  if (!check) throw new HoardError('BLOB_NOT_FOUND');
  const ok = check.bad.length === 0;
  if (!ok) ctx.log.error({ blob: id, badChunks: check.bad }, 'copy failed verification');
  return { id, ok, md5: m.md5, sha256: m.sha256, size: m.size, chunkSize: m.chunkSize, badChunks: check.bad };
}
