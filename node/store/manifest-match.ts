// Whether bytes a node wrote are the blob a manifest describes: size, chunk
// size and every chunk's size and SHA-256 (and the identity, when the
// writer computed one). A copy fetched from another node and a follower's
// copy of a streamed upload are both checked this way before they are published.
import type { BlobManifest } from '../../common/protocol/types.js';

/** The first difference between what arrived and what was expected, or undefined when they match. */
export function manifestDifference(got: BlobManifest, want: BlobManifest): string | undefined {
  if (got.size !== want.size) return `size ${got.size}, expected ${want.size}`;
  if (got.sha256 !== want.sha256) return `sha256 ${got.sha256}, expected ${want.sha256}`;
  if (got.md5 !== want.md5) return `md5 ${got.md5}, expected ${want.md5}`;
  if (got.chunkSize !== want.chunkSize) return `chunk size ${got.chunkSize}, expected ${want.chunkSize}`;
  if (got.chunks.length !== want.chunks.length) return `${got.chunks.length} chunks, expected ${want.chunks.length}`;
  for (let i = 0; i < got.chunks.length; i++) {
    const a = got.chunks[i]!;
    const b = want.chunks[i]!;
    if (a.size !== b.size || a.sha256 !== b.sha256) return `chunk ${i} differs`;
  }
  return undefined;
}
