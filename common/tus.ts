// The resumable-upload contract: tus 1.0 (core, creation, termination,
// checksum, expiration) plus hoard's headers for declared hashes and proof
// of possession. docs/protocol.md, "Resumable uploads", describes it.
import type { BlobIdentity } from './protocol.js';
import type { PrefixHash } from './prefix.js';
import type { Challenge } from './proof.js';

export const TUS_VERSION = '1.0.0';
export const TUS_EXTENSIONS = 'creation,termination,checksum,expiration';
/** Upload-Checksum algorithms a node verifies per PATCH. */
export const TUS_CHECKSUMS = ['sha1', 'md5', 'sha256'] as const;
export type TusChecksum = (typeof TUS_CHECKSUMS)[number];

/** Routes the tracker serves for resumable uploads and early stop. */
export const TUS_TRACKER = {
  create: '/files', // POST (tus creation), OPTIONS
  status: '/api/uploads/', // GET /api/uploads/<uploadId> → UploadStatus once finished
  // Cluster-internal (cluster secret required).
  verifyProof: '/internal/proofs/verify', // node → tracker
  commitProven: '/internal/commit/proven', // node → tracker
} as const;

/** Routes a storage node serves for resumable uploads and proofs. */
export const TUS_NODE = {
  upload: '/tus/', // HEAD|PATCH|DELETE|OPTIONS /tus/<uploadId>
  // Cluster-internal (cluster secret required).
  create: '/internal/tus', // tracker → node
  proof: '/internal/proof', // tracker → node
} as const;

/** Header names, lower case as Node reports them. */
export const TUS_H = {
  resumable: 'tus-resumable',
  version: 'tus-version',
  extension: 'tus-extension',
  maxSize: 'tus-max-size',
  checksumAlgorithm: 'tus-checksum-algorithm',
  length: 'upload-length',
  offset: 'upload-offset',
  metadata: 'upload-metadata',
  expires: 'upload-expires',
  checksum: 'upload-checksum',
  deferLength: 'upload-defer-length',
  challenge: 'hoard-challenge',
  proof: 'hoard-proof',
  link: 'hoard-link',
  linkId: 'hoard-link-id',
  /** `1` when the link points at content stored before this upload. */
  dedup: 'hoard-dedup',
} as const;

/** Headers a browser client may read (CORS). */
export const TUS_EXPOSE = 'Location, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, Upload-Offset, Upload-Length, Upload-Expires, Upload-Metadata, Hoard-Challenge, Hoard-Link, Hoard-Link-Id, Hoard-Dedup';

/** Upload ids are capabilities: 16 random bytes, base64url. */
export const UPLOAD_ID_RE = /^[A-Za-z0-9_-]{22}$/;

/** tracker → node: make room for a new resumable upload. */
export interface TusCreateRequest {
  uploadId: string;
  filename: string;
  length: number;
  /** Hashes the client declared (a hint, never a proof). */
  declared?: Omit<BlobIdentity, 'size'>;
  /** Sent to the client again on HEAD until the upload ends. */
  challenge?: Challenge;
}

export interface TusCreateResponse {
  /** Unix milliseconds after which an unfinished upload is dropped. */
  expires: number;
}

/** tracker → node: compute the answer to a challenge from a stored blob. */
export interface ProofComputeRequest {
  blobId: string;
  uploadId: string;
  challenge: Challenge;
}

export interface ProofComputeResponse {
  proof: string;
}

/** node → tracker: the client's answer; single use. */
export interface ProofVerifyRequest {
  uploadId: string;
  nodeId: string;
  proof: string;
}

export type ProofVerifyResponse = { ok: false } | { ok: true; blobId: string; prefixes: PrefixHash[] };

/** node → tracker: the upload proved possession and its prefix matched: link it to the proven blob. */
export interface CommitProvenRequest {
  uploadId: string;
  nodeId: string;
  filename: string;
}

/** GET /api/uploads/<uploadId>: the link a finished upload produced. */
export interface UploadStatus {
  uploadId: string;
  link: string;
  id: string;
  filename: string;
  size: number;
  md5: string;
  sha256: string;
}

/** Upload-Metadata: comma-separated `key base64(value)` pairs; a key may stand alone. */
export function parseMetadata(header: string | undefined): Map<string, string> | undefined {
  const out = new Map<string, string>();
  if (header === undefined || header.trim() === '') return out;
  if (header.length > 8192) return undefined;
  for (const pair of header.split(',')) {
    const [key, value, extra] = pair.trim().split(' ');
    if (!key || extra !== undefined || !/^[\x21-\x2b\x2d-\x7e]+$/.test(key) || out.has(key)) return undefined;
    if (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
    out.set(key, value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8'));
  }
  return out;
}

export function formatMetadata(meta: Record<string, string>): string {
  return Object.entries(meta)
    .map(([k, v]) => `${k} ${Buffer.from(v, 'utf8').toString('base64')}`)
    .join(',');
}

/** What OPTIONS answers, at the tracker and at nodes. */
export function tusOptionsHeaders(maxSize: number): Record<string, string> {
  return {
    'tus-resumable': TUS_VERSION,
    'tus-version': TUS_VERSION,
    'tus-extension': TUS_EXTENSIONS,
    'tus-max-size': String(maxSize),
    'tus-checksum-algorithm': TUS_CHECKSUMS.join(','),
  };
}
