// Wire types for integrity and space: bad-copy reports, a node's blob API
// (list, stat, remove, verify, copy-from), fsck. Routes are in protocol.ts
// (TRACKER / NODE); docs/protocol.md describes both.
import type { BlobIdentity, BlobManifest } from './types.js';

/** Where a node found a chunk failing its SHA-256. */
export const BAD_COPY_SOURCES = ['scrub', 'read', 'verify'] as const;
export type BadCopySource = (typeof BAD_COPY_SOURCES)[number];

/** POST /internal/copies/bad (node → tracker): this node's copy of a blob is bad. */
export interface BadCopyReport {
  nodeId: string;
  blobId: string;
  /** Indexes of the chunks that failed (missing, wrong size or wrong SHA-256). */
  chunks: number[];
  source: BadCopySource;
}

export interface BadCopyAnswer {
  /** False when the tracker did not count on this copy anyway (unknown blob, or the node was not a holder). */
  recorded: boolean;
}

/**
 * What the tracker thinks of a node's copy: `held` (listed as a holder),
 * `unlisted` (the blob is known but this copy is not counted on: an extra
 * or a withdrawn copy), `unknown` (no such blob: deleted or never committed).
 */
export type CopyState = 'held' | 'unlisted' | 'unknown';

/** POST /internal/copies/held (node → tracker). */
export interface CopiesHeldRequest {
  nodeId: string;
  /** Up to COPIES_HELD_MAX blob ids. */
  ids: string[];
}

export interface CopiesHeldResponse {
  copies: Record<string, CopyState>;
}

export const COPIES_HELD_MAX = 1000;

/** One blob as a node lists it (GET /internal/blobs, GET /internal/blobs/<id>). */
export interface NodeBlobEntry {
  id: string;
  size: number;
  chunks: number;
  /** When the copy appeared on this node (ISO). */
  mtime: string;
}

export interface NodeBlobPage {
  blobs: NodeBlobEntry[];
}

/** Result of checking every chunk of a copy against its manifest. */
export interface BlobCheck {
  id: string;
  chunks: number;
  /** Bytes read and hashed (chunks served from the verified cache count 0). */
  bytes: number;
  /** Indexes of chunks missing, of the wrong size, or failing their SHA-256. */
  bad: number[];
}

/** POST /internal/blobs/<id>/verify: the store's check of every chunk, with what the copy claims to be. */
export interface BlobVerifyAnswer extends BlobCheck, BlobIdentity {
  chunkSize: number;
}

/**
 * POST /internal/blobs/<id>/copy-from (tracker → node): fetch the blob from a
 * signed URL on another node; kept only if it matches `manifest` chunk for chunk.
 */
export interface CopyFromRequest {
  /** A signed GET URL of the blob on a node holding a good copy. */
  source: string;
  /** The blob as the tracker knows it. */
  manifest: BlobManifest;
  /** Bytes per second the copy may use (0 or absent = unthrottled). */
  rate?: number;
}

export interface CopyFromAnswer {
  id: string;
  /** False when the node already held a complete copy. */
  created: boolean;
  size: number;
  /** Bytes fetched (0 when the copy was already here). */
  bytes: number;
  ms: number;
}

/** DELETE /internal/blobs/<id>[?minAge=s][&unlisted=1]. */
export interface RemoveAnswer {
  /** False when the node did not hold the blob. */
  removed: boolean;
}

/**
 * A difference between the tracker's index and a node's disk:
 * - `missing`: the tracker lists the node as a holder, the node has no copy;
 * - `unknown`: the node holds a blob the tracker does not know (an orphan);
 * - `unlisted`: the node holds a copy of a known blob the tracker does not count on;
 * - `bad`: a copy reported bad and not yet repaired;
 * - `lost`: a blob no node is listed as holding;
 * - `unreachable`: a node that is down or did not answer (nothing checked there).
 */
export const FSCK_KINDS = ['missing', 'unknown', 'unlisted', 'bad', 'lost', 'unreachable'] as const;
export type FsckKind = (typeof FSCK_KINDS)[number];

export interface FsckFinding {
  kind: FsckKind;
  node?: string;
  blob?: string;
  detail?: string;
  /** With --repair: what was done ('' when nothing could be). */
  action?: string;
}

export interface FsckReport {
  repair: boolean;
  nodesChecked: number;
  blobsChecked: number;
  findings: FsckFinding[];
  /** Findings per kind. */
  counts: Partial<Record<FsckKind, number>>;
  /** Findings with --repair that were fixed. */
  repaired: number;
}

/**
 * Whether a node can never take an upload: the tracker places an upload on a
 * node whose free bytes (net of its reserve) cover the size plus the upload
 * margin, so a disk no bigger than reserve + margin never qualifies, however
 * empty it is.
 */
export function noUploadRoom(totalBytes: number, reserveBytes: number, uploadMargin: number): boolean {
  return totalBytes - reserveBytes <= uploadMargin;
}
