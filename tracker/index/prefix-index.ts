// Finding the stored blob a declared upload may be a copy of. A declared
// identity is only a hint: it picks the blob the proof of possession and the
// prefix checks are run against, nothing more.
import type { PrefixHash } from '../../common/protocol/prefix.js';
import type { BlobIdentity } from '../../common/protocol/types.js';
import type { BlobRecord, MetaStore } from '../meta/store.js';

export interface Candidate {
  blob: BlobRecord;
  prefixes: PrefixHash[];
}

/**
 * The blob with exactly the declared MD5, SHA-256 and size, when early stop
 * is allowed for it: not for an MD5 that ever held two contents (a collision
 * makes MD5-keyed shortcuts unsafe), and not for blobs stored without prefix
 * digests (nothing to compare the stream with).
 */
export async function findCandidate(store: MetaStore, declared: BlobIdentity): Promise<Candidate | undefined> {
  if (await store.blobs.md5Collided(declared.md5)) return undefined;
  const under = await store.blobs.byMd5(declared.md5);
  if (under.length !== 1) return undefined;
  const blob = under[0]!;
  if (blob.sha256 !== declared.sha256 || blob.size !== declared.size) return undefined;
  const prefixes = await store.blobs.prefixes(blob.id);
  if (!prefixes || prefixes.length === 0) return undefined;
  return { blob, prefixes };
}
