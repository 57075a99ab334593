// POST /internal/replicas/<id>/verify: re-read a stored copy and check each
// chunk against its SHA-256 and the whole against MD5, SHA-256 and size.
// The tracker asks before it counts a copy it did not see arrive (a node
// that came back with blobs the index no longer lists for it).
import { createHash, type Hash } from 'node:crypto';
import { HoardError } from '../common/errors.js';
import { DualHasher } from '../common/hash.js';
import type { ReplicaVerifyResult } from '../common/protocol.js';
import type { NodeContext } from './context.js';

export async function verifyReplica(ctx: NodeContext, id: string): Promise<ReplicaVerifyResult> {
  const blob = await ctx.store.get(id);
  if (!blob) throw new HoardError('BLOB_NOT_FOUND');
  const m = blob.manifest;
  const whole = new DualHasher();
  const bad: number[] = [];
  let index = 0;
  let inChunk = 0;
  let hash: Hash = createHash('sha256');
  const close = () => {
    const c = m.chunks[index]!;
    if (inChunk !== c.size || hash.digest('hex') !== c.sha256) bad.push(index);
    index++;
    inChunk = 0;
    hash = createHash('sha256');
  };
  try {
    if (m.size > 0) {
      for await (const piece of await ctx.store.read(id)) {
        let buf = piece as Buffer;
        whole.update(buf);
        while (buf.length > 0 && index < m.chunks.length) {
          const n = Math.min(buf.length, m.chunks[index]!.size - inChunk);
          hash.update(buf.subarray(0, n));
          inChunk += n;
          buf = buf.subarray(n);
          if (inChunk === m.chunks[index]!.size) close();
        }
      }
    }
  } catch (err) {
    // A missing or short chunk file: that chunk and the ones after it were not checked.
    ctx.log.warn({ blob: id, chunk: index, err: (err as Error).message }, 'copy unreadable during verify');
  }
  while (index < m.chunks.length) {
    bad.push(index);
    index++;
  }
  const got = whole.digest();
  const ok = bad.length === 0 && got.size === m.size && got.md5 === m.md5 && got.sha256 === m.sha256;
  if (!ok) ctx.log.error({ blob: id, badChunks: bad }, 'copy failed verification');
  return { id, ok, md5: m.md5, sha256: m.sha256, size: m.size, chunkSize: m.chunkSize, badChunks: bad };
}
