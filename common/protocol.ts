// The wire contract between clients, the tracker and storage nodes.
// docs/protocol.md describes every route listed here.
import type { PrefixHash } from './prefix.js';

/** Routes served by the tracker. */
export const TRACKER = {
  upload: '/upload/', // PUT /upload/<filename> → 307 to a node
  uploadTarget: '/api/uploads', // POST {filename,size} → UploadTarget
  link: '/f/', // GET|HEAD /f/<id> → 302 to a signed node URL
  linkInfo: '/api/links/', // GET /api/links/<id> → LinkInfo
  health: '/health',
  // Cluster-internal (cluster secret required).
  register: '/internal/nodes/register',
  heartbeat: '/internal/nodes/heartbeat',
  commit: '/internal/commit',
  adminNodes: '/internal/admin/nodes',
  adminBlobs: '/internal/admin/blobs',
  adminLinks: '/internal/admin/links',
  adminStats: '/internal/admin/stats',
  // Replication and repair (cluster secret required).
  adminWorkers: '/internal/admin/workers', // GET → WorkerStatus[]; POST …/<name>/run → WorkerReport
  adminNodePrefix: '/internal/admin/nodes/', // POST …/<id>/drain {drain} → NodeStatus
  adminRepair: '/internal/admin/repair', // GET → RepairStatus
  // Integrity and space (wire types in integrity.ts).
  metrics: '/metrics', // GET → Prometheus text
  copyBad: '/internal/copies/bad', // POST BadCopyReport: a node found a chunk failing its checksum
  copiesHeld: '/internal/copies/held', // POST CopiesHeldRequest → CopiesHeldResponse
  adminFsck: '/internal/admin/fsck', // POST [?repair=1] → FsckReport
} as const;

/** Routes served by a storage node. */
export const NODE = {
  upload: '/upload/', // PUT /upload/<filename>?exp=&sig= (signed by the tracker)
  blob: '/blob/', // GET|HEAD /blob/<blobId>?exp=&sig=&name=
  health: '/health',
  metrics: '/metrics', // GET → Prometheus text
  // Cluster-internal (cluster credential required; wire types in integrity.ts):
  // GET ?after=&limit= list; /internal/blobs/<id>: GET stat, DELETE remove,
  // POST …/verify re-read and check, POST …/copy-from copy in from another node.
  internalBlobs: '/internal/blobs',
  workers: '/internal/workers', // GET → WorkerStatus[]; POST /internal/workers/<name>/run → WorkerReport
} as const;

/** Set by GET /f/<id> on its redirect: the node it sends the client to (clients pass it back as ?avoid= after a failure). */
export const NODE_ID_HEADER = 'x-hoard-node';

/** Header carrying the cluster credential on node↔tracker calls. */
export const AUTH_HEADER = 'x-hoard-auth';

/** Heartbeat cadence and how many missed beats mark a node down. */
export const HEARTBEAT_INTERVAL_MS = 2_000;
export const HEARTBEAT_MISSES_DOWN = 3;

export interface ChunkInfo {
  /** Bytes in this chunk (every chunk but the last has the blob's chunkSize). */
  size: number;
  /** SHA-256 hex of the chunk's bytes. */
  sha256: string;
}

/** Identity of stored content: MD5 is the index key, the three together are the identity. */
export interface BlobIdentity {
  md5: string;
  sha256: string;
  size: number;
}

export interface BlobManifest extends BlobIdentity {
  /** Stable id of the blob: its SHA-256 hex. */
  id: string;
  chunkSize: number;
  chunks: ChunkInfo[];
  /** Digests of the blob's prefix at each checkpoint below its size (common/prefix.ts). */
  prefixes?: PrefixHash[];
}

export interface NodeRegistration {
  id: string;
  zone: string;
  publicUrl: string;
  freeBytes: number;
  totalBytes: number;
}

export interface Heartbeat {
  id: string;
  freeBytes: number;
  totalBytes: number;
  /** Requests in flight on the node. */
  load: number;
  blobCount: number;
}

export interface CommitRequest {
  nodeId: string;
  filename: string;
  manifest: BlobManifest;
  /** The resumable upload this commit ends, so the tracker can answer for it later. */
  uploadId?: string;
}

export interface CommitResponse {
  link: string;
  id: string;
  /** True when the content was already stored: the link points at the existing blob. */
  dedup: boolean;
  /** Nodes that hold the committed blob, as the tracker records them. */
  nodes: string[];
}

/** What a finished upload returns to the uploader (201). */
export interface UploadResult {
  link: string;
  id: string;
  md5: string;
  sha256: string;
  size: number;
  dedup: boolean;
}

export interface UploadTargetRequest {
  filename: string;
  size?: number;
}

export interface UploadTarget {
  url: string;
  node: string;
  expires: number;
}

export interface LinkInfo {
  id: string;
  link: string;
  filename: string;
  size: number;
  md5: string;
  sha256: string;
  created: string;
}

export type NodeState = 'up' | 'down';

export interface NodeStatus extends NodeRegistration {
  state: NodeState;
  lastSeen: string;
  load: number;
  blobCount: number;
  /** Being emptied by `hoard-admin drain`: no new uploads or copies, its copies move elsewhere. */
  draining?: boolean;
  /** When a down node stopped answering (the tracker's start time if it has not beaten since). */
  downSince?: string;
}

export interface RepairCounts {
  blobs: number;
  /** Blobs with fewer counted copies than the replication factor. */
  belowFactor: number;
  /** ...of which every missing copy is on a node still inside its grace period. */
  waiting: number;
  /** Blobs no live node holds: nothing to copy from until a holder returns. */
  unavailable: number;
  /** Blobs that need a copy but no node can take it (space, zones, all draining). */
  noTarget: number;
  /** Copies planned now: new copies, copies dropped, holders forgotten. */
  copies: number;
  drops: number;
  forgets: number;
  /** Blobs skipped because a task on them is running. */
  busy: number;
  /** Copies reported bad and not yet repaired (each is re-made in place from a live holder)... */
  badCopies: number;
  /** ...of which wait: their node is down, or no live copy can be read. */
  badWaiting: number;
}

export interface RepairStatus {
  replicas: number;
  graceMs: number;
  counts: RepairCounts;
  /** Per node: blobs the tracker lists it as holding. */
  holds: Record<string, number>;
  inFlight: Array<{ kind: string; blob: string; source?: string; target?: string; node?: string; since: string }>;
  totals: { copied: number; copyFailures: number; bytesCopied: number; dropped: number; forgotten: number; adopted: number };
}

export interface ClusterStats {
  blobs: number;
  links: number;
  /** Bytes of unique content, counted once per stored copy. */
  bytesStored: number;
  /** Bytes as uploaders see them: each link counts its blob's size. */
  logicalBytes: number;
  /** logicalBytes minus the bytes of unique content. */
  bytesSavedByDedup: number;
  nodesUp: number;
  nodesDown: number;
}

/** Hex digests are lower case; these checks guard every place a hash arrives from outside. */
export const MD5_RE = /^[0-9a-f]{32}$/;
export const SHA256_RE = /^[0-9a-f]{64}$/;
export const LINK_ID_RE = /^[A-Za-z0-9_-]{16,64}$/;
export const NODE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const ZONE_RE = /^[A-Za-z0-9_.-]{1,64}$/;
