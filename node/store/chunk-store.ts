// Where a node keeps blobs: an upload is written through a ChunkWriter and
// published (made visible) as a whole, manifest and every chunk, or not at
// all. Back ends implement ChunkStore; test/conformance/chunk-store/ is the
// suite each one must pass.
import type { Readable } from 'node:stream';
import type { PrefixHash } from '../../common/protocol/prefix.js';
import type { BlobCheck } from '../../common/protocol/integrity.js';
import type { BlobManifest } from '../../common/protocol/types.js';
import { MD5_RE, SHA256_RE } from '../../common/protocol/ids.js';

export interface StoredBlob {
  manifest: BlobManifest;
  /** When this copy became visible on this node. */
  mtime: Date;
  /**
   * The blob's creation time, the same on every copy (sent as Last-Modified):
   * the manifest's `created`, or this copy's mtime for a manifest without it.
   */
  created: Date;
}

/** A creation time as manifests keep it: ISO 8601 in whole seconds (HTTP dates have no finer grain). */
export function stampOf(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

/** The blob's creation time from its manifest, else `fallback` (a manifest written before it was recorded). */
export function createdOf(manifest: BlobManifest, fallback: Date): Date {
  const t = manifest.created === undefined ? NaN : Date.parse(manifest.created);
  return Number.isFinite(t) ? new Date(t) : fallback;
}

/** What publishing an upload did on this node's disk. */
export interface PublishResult {
  manifest: BlobManifest;
  /**
   * True when this upload made the blob visible; false when the same content
   * was already stored, in which case the upload's copy was dropped.
   */
  created: boolean;
}

/** A copy withdrawn after a failed check, kept for inspection for a while. */
export interface QuarantinedCopy {
  id: string;
  since: Date;
  path: string;
}

/** Options of ChunkStore.verify. */
export interface VerifyOptions {
  /** Read every chunk even when it was verified recently (the scrub). */
  force?: boolean;
  /** Awaited before each read with the bytes about to be read (a rate limit). */
  throttle?: (bytes: number) => Promise<void>;
}

export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

export interface ChunkWriter {
  readonly uploadId: string;
  /** Bytes taken so far. */
  readonly bytes: number;
  /** Bytes per chunk file (every chunk but the last). */
  readonly chunkSize: number;
  /**
   * Digests of the bytes taken so far at each prefix checkpoint passed
   * (common/prefix.ts). A resumable writer has them once the write that
   * passed the checkpoint resolves; a plain one may lag until seal().
   */
  readonly prefixes: readonly PrefixHash[];
  /**
   * Takes the next piece of the body (the caller must not reuse `buf`).
   * Returns undefined when the next piece may follow at once, or a promise to
   * await first (a flush or a chunk fsync is pending): that is the
   * backpressure signal; the caller must handle its rejection. A failure
   * such as ENOSPC rejects that promise or a later write/seal/publish.
   */
  write(buf: Buffer): Promise<void> | undefined;
  /**
   * Ends the body: every chunk is written and fsynced, and the manifest is
   * known, but the blob is not visible yet. On failure nothing is kept.
   */
  seal(): Promise<BlobManifest>;
  /**
   * Publishes the blob on this node's disk: durable and visible to reads
   * (sealing first if needed). On failure nothing is kept. Committing it at
   * the tracker is the caller's next step (node/upload/publish.ts).
   */
  publish(): Promise<PublishResult>;
  /**
   * Ends the body and publishes it as `manifest` if its size and every
   * chunk's size and SHA-256 match (a follower of the write pipeline, which
   * hashes chunks only); else REPLICA_MISMATCH and nothing is kept.
   */
  publishAs(manifest: BlobManifest): Promise<PublishResult>;
  /**
   * The bytes taken so far from offset `from`, read back from disk (nothing
   * may be written meanwhile): a follower that joins late catches up from them.
   */
  readBack(from: number): AsyncIterable<Buffer>;
  /** Drops everything written; safe to call more than once, and after a failure. */
  abort(): Promise<void>;
}

export interface BeginOptions {
  /** Chunk size of this blob (a copy keeps its source's chunking); default the store's own. */
  chunkSize?: number;
  /**
   * 'chunks': each chunk's SHA-256 only, no MD5 or whole SHA-256 (a follower
   * of the write pipeline; publish it with publishAs). Default 'full'.
   */
  hashing?: 'full' | 'chunks';
}

export interface ChunkStore {
  /** Prepares the store and removes leftovers of interrupted uploads. */
  open(): Promise<void>;
  close(): Promise<void>;
  begin(opts?: BeginOptions): Promise<ChunkWriter>;
  /** The blob's manifest, or undefined when it is absent or incomplete. */
  get(id: string): Promise<StoredBlob | undefined>;
  has(id: string): Promise<boolean>;
  /**
   * Bytes `start..end` (inclusive; default the whole blob) as a stream that
   * honours backpressure. Throws BLOB_NOT_FOUND, or RANGE_NOT_SATISFIABLE
   * for a range outside the blob. Every chunk is checked against its
   * SHA-256 before any of its bytes are sent: a bad first chunk throws
   * CHUNK_CORRUPT here, a later one errors the stream short of it.
   */
  read(id: string, start?: number, end?: number): Promise<Readable>;
  /**
   * Bytes `start..end` (inclusive, at most 1 MiB) as stored, without the
   * chunk check read() makes: for answers that are compared, never served
   * (proofs of possession). Throws BLOB_NOT_FOUND or RANGE_NOT_SATISFIABLE.
   */
  readSample(id: string, start: number, end: number): Promise<Buffer>;
  /** Removes the blob; false when it was not there. */
  remove(id: string): Promise<boolean>;
  /**
   * Rewrites the copy's manifest with the blob's creation time `created`
   * (a fresh copy kept for a blob first stored elsewhere); false when absent.
   */
  restamp(id: string, created: string): Promise<boolean>;
  /** Ids of the stored blobs, in no particular order; with `prefix` (two hex digits) only those starting with it. */
  list(prefix?: string): AsyncIterable<string>;
  /** Number of stored blobs. */
  count(): number;
  space(): Promise<DiskSpace>;

  /** Reads and checks every chunk of a copy; undefined when the blob is absent. */
  verify(id: string, opts?: VerifyOptions): Promise<BlobCheck | undefined>;
  /** Withdraws a copy (reads then answer BLOB_NOT_FOUND) but keeps its bytes for inspection; false when absent. */
  quarantine(id: string): Promise<boolean>;
  quarantined(): Promise<QuarantinedCopy[]>;
  /** Deletes quarantined copies older than `olderThanMs`, or every one of blob `id`; returns the count. */
  dropQuarantined(sel: { olderThanMs?: number; id?: string }, now?: number): Promise<number>;
  /** Blob ids in id order after `after`, at most `limit` (for listings the tracker compares with its index). */
  listPage(after: string | undefined, limit: number): Promise<string[]>;
}

/** A writer whose bytes can outlive the process: it is flushed between requests and resumed after a restart. */
export interface ResumableWriter extends ChunkWriter {
  /** Makes every byte taken so far durable; `bytes` is then what resumeResumable finds. */
  flush(): Promise<void>;
  /** Lets go of the writer (open files) and keeps what it wrote. */
  release(): Promise<void>;
}

/** Keys of resumable uploads (upload ids). */
export const RESUMABLE_KEY_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Resumable uploads live apart from the temp folder that open() empties, so
 * a restart keeps them; a finished one publishes its blob like any upload.
 */
export interface ResumableChunkStore {
  /** A fresh writer under `key` (whatever was there is dropped). */
  beginResumable(key: string): Promise<ResumableWriter>;
  /** The writer under `key`, cut back to its first `bytes` bytes, with its hashes rebuilt from disk. */
  resumeResumable(key: string, bytes: number): Promise<ResumableWriter>;
  /** Drops the upload's bytes; returns how many there were. */
  removeResumable(key: string): Promise<number>;
  listResumable(): Promise<string[]>;
}

const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks a parsed manifest: identity fields well-formed and chunk sizes adding up. */
export function isValidManifest(m: unknown, id?: string): m is BlobManifest {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  if (typeof r.id !== 'string' || !SHA256_RE.test(r.id) || r.sha256 !== r.id) return false;
  if (id !== undefined && r.id !== id) return false;
  if (typeof r.md5 !== 'string' || !MD5_RE.test(r.md5)) return false;
  if (!isSize(r.size) || !isSize(r.chunkSize) || r.chunkSize === 0 || !Array.isArray(r.chunks)) return false;
  if (r.created !== undefined && (typeof r.created !== 'string' || !Number.isFinite(Date.parse(r.created)))) return false;
  const chunks = r.chunks as unknown[];
  if (chunks.length !== Math.ceil(r.size / r.chunkSize)) return false;
  let total = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i] as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null || !isSize(c.size) || typeof c.sha256 !== 'string' || !SHA256_RE.test(c.sha256)) return false;
    const last = i === chunks.length - 1;
    if (last ? c.size === 0 || c.size > r.chunkSize : c.size !== r.chunkSize) return false;
    total += c.size;
  }
  return total === r.size;
}
