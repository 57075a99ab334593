// Checks a BlobManifest sent by a node: hashes well formed, id = sha256, and a
// chunk list that adds up exactly to the declared size.
import { HoardError } from '../../common/protocol/errors.js';
import { isValidPrefixList } from '../../common/protocol/prefix.js';
import { MD5_RE, SHA256_RE } from '../../common/protocol/ids.js';
import { type BlobManifest, type ChunkInfo } from '../../common/protocol/types.js';
import { int, object, str } from '../../common/protocol/fields.js';

/** The chunk sizes a node may be configured with (its --chunk-size range). */
export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 1024 ** 3;

/**
 * `checkSize` (the upload policy) runs on the declared size before the chunk
 * list is looked at, so an oversized manifest is refused as such.
 */
export function parseManifest(v: unknown, checkSize: (size: number) => void): BlobManifest {
  const o = object(v, 'manifest');
  const id = str(o, 'id', SHA256_RE);
  const sha256 = str(o, 'sha256', SHA256_RE);
  const md5 = str(o, 'md5', MD5_RE);
  if (id !== sha256) throw new HoardError('BAD_REQUEST', 'manifest id must equal its sha256');
  const size = int(o, 'size', 0);
  checkSize(size);
  const chunkSize = int(o, 'chunkSize', MIN_CHUNK_SIZE, MAX_CHUNK_SIZE);
  if (!Array.isArray(o.chunks)) throw new HoardError('BAD_REQUEST', 'chunks must be an array');
  const raw: unknown[] = o.chunks;
  const expected = Math.ceil(size / chunkSize);
  // An empty blob may be stored as no chunk or as one empty chunk.
  if (raw.length !== expected && !(size === 0 && raw.length === 1)) {
    throw new HoardError('BAD_REQUEST', `chunks must have ${expected} entries for size ${size}`);
  }
  const chunks: ChunkInfo[] = raw.map((c, i) => {
    const co = object(c, `chunks[${i}]`);
    const want = i < raw.length - 1 ? chunkSize : size - chunkSize * i;
    const cs = int(co, 'size', want, want);
    return { size: cs, sha256: str(co, 'sha256', SHA256_RE) };
  });
  // Optional (nodes before early stop did not send them); when present, exactly the checkpoints below size.
  let prefixes: BlobManifest['prefixes'];
  if (o.prefixes !== undefined) {
    if (!isValidPrefixList(o.prefixes, size)) throw new HoardError('BAD_REQUEST', 'prefixes must list each checkpoint below size with its md5 and sha256');
    prefixes = o.prefixes.map((p) => ({ offset: p.offset, md5: p.md5, sha256: p.sha256 }));
  }
  // Optional (nodes before it was recorded did not send it): when the first copy was written.
  const created = o.created === undefined ? undefined : str(o, 'created', ISO_TIME_RE);
  return { id, md5, sha256, size, chunkSize, chunks, ...(prefixes ? { prefixes } : {}), ...(created !== undefined ? { created } : {}) };
}

/** An ISO 8601 UTC time as Date.toISOString writes it (milliseconds optional). */
const ISO_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
