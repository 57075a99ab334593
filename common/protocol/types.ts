// Wire types: the JSON bodies clients, the tracker and storage nodes
// exchange. Routes are in routes.ts; docs/protocol.md describes both.
import type { TakedownsEvent } from './takedowns.js';
import type { PrefixHash } from './prefix.js';
import type { Challenge } from './proof.js';

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
  /**
   * When the blob was first stored (ISO 8601, whole seconds): every copy
   * keeps its first copy's time, so Last-Modified is the same on each.
   * Absent in manifests written before it was recorded.
   */
  created?: string;
}

/** A node as another node reaches it: its id and base URL (the write pipeline). */
export interface PeerNode {
  id: string;
  url: string;
}

export interface NodeRegistration {
  id: string;
  zone: string;
  publicUrl: string;
  freeBytes: number;
  totalBytes: number;
}

/** The tracker's answer to a registration, on the node stream's first line or from POST /internal/nodes/register. */
export interface RegisterAnswer {
  ok: true;
  /** The tracker's public base URL, as readers reach it: a node sends a reader back there (heal on read). */
  trackerUrl: string;
  /** The tracker's --upload-margin: a node whose disk less its reserve is not above it can never take an upload (it says so). */
  uploadMargin?: number;
}

/** One line of the node stream (newline-delimited JSON): the answer to the registration, then pings. */
export type NodeStreamEvent = ({ type: 'registered' } & RegisterAnswer) | { type: 'ping' } | TakedownsEvent;

export interface Heartbeat {
  id: string;
  freeBytes: number;
  totalBytes: number;
  /** Requests in flight on the node. */
  load: number;
  blobCount: number;
  /** The node's --reserve, already left out of freeBytes. */
  reserveBytes?: number;
  /** Download leases this node serves, and those whose transfer ended (the tracker releases them). */
  leases?: LeaseReport;
  /** Bytes served per download id (reward points count complete downloads: docs/rewards.md). */
  served?: ServedReport[];
}

/** The ranges of one blob a node served under one download id, inclusive, sorted, merged. */
export interface ServedReport {
  id: string;
  blob: string;
  ranges: Array<[number, number]>;
}

/** Download leases in a heartbeat (docs/tiers.md). */
export interface LeaseReport {
  active: string[];
  ended: string[];
}

export interface CommitRequest {
  nodeId: string;
  filename: string;
  manifest: BlobManifest;
  /** The resumable upload this commit ends, so the tracker can answer for it later. */
  uploadId?: string;
  /** Other nodes that published a copy of this upload's bytes, streamed to them as they arrived (the write pipeline). */
  followers?: string[];
  /** The account the upload is for, as the tracker signed it for `uploadId` (in the PUT URL or at tus creation); absent: anonymous. */
  owner?: string;
}

export interface CommitResponse {
  link: string;
  id: string;
  /** True when the content was already stored: the link points at the existing blob. */
  dedup: boolean;
  /** Nodes that hold the committed blob, as the tracker records them. */
  nodes: string[];
  /** The blob's creation time as the tracker records it (ISO); a kept fresh copy takes it on. */
  created?: string;
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

/** DELETE /api/links/<id> (admin). */
export interface LinkDeleted {
  id: string;
  blob: string;
  /** Links left on the blob. */
  refs: number;
  /** When the blob's bytes become eligible for GC (only when refs is 0). */
  gcAfter?: string;
}

export type NodeState = 'up' | 'down';

export interface NodeStatus extends NodeRegistration {
  state: NodeState;
  lastSeen: string;
  load: number;
  blobCount: number;
  /** Being emptied by `hoard-admin drain`: no new uploads or copies, its copies move elsewhere. */
  draining?: boolean;
  /** The node's --reserve, as its heartbeat reports it. */
  reserveBytes?: number;
  /** Its disk less its reserve is not above the tracker's --upload-margin: it can never take an upload (noUploadRoom). */
  tooSmall?: boolean;
  /** When a down node stopped answering (the tracker's start time if it has not beaten since). */
  downSince?: string;
  /** Up, but its last heartbeat is overdue (HEARTBEAT_LATE_MS): downloads prefer other holders. */
  late?: boolean;
  /** Up with its heartbeat stream open: its process ending is seen at once. */
  streaming?: boolean;
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

// ---- Resumable uploads (tus) and proofs of possession ----

/** tracker → node: make room for a new resumable upload. */
export interface TusCreateRequest {
  uploadId: string;
  filename: string;
  length: number;
  /** Hashes the client declared (a hint, never a proof). */
  declared?: Omit<BlobIdentity, 'size'>;
  /** Sent to the client again on HEAD until the upload ends. */
  challenge?: Challenge;
  /** Nodes the bytes are streamed to as they arrive (the write pipeline); none when one copy acknowledges. */
  followers?: PeerNode[];
  /** A part of a later final upload (tus concatenation): its bytes are kept, never published or linked. */
  partial?: true;
  /** A final upload: these complete parts, in order, are its bytes; it ends at its creation. */
  parts?: TusPart[];
  /** The account the upload is for, signed by the tracker for this upload id: passed on to the commit as given. */
  owner?: string;
  /** The client as the tracker counts it (an IPv4 address, or an IPv6 /64): the node caps the unfinished uploads each client holds on it. */
  client?: string;
}

/** One part of a final upload: a partial upload and the node that holds it. */
export interface TusPart {
  uploadId: string;
  node: PeerNode;
}

/** GET /internal/tus/<id> (tracker → node): a resumable upload's progress, to join it into a final upload. */
export interface TusUploadInfo {
  uploadId: string;
  length: number;
  offset: number;
  partial: boolean;
}

export interface TusCreateResponse {
  /** Unix milliseconds after which an unfinished upload is dropped. */
  expires: number;
  /** An empty upload is complete once created: its link (tus clients send no PATCH for it). */
  result?: { link: string; id: string; dedup: boolean };
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

/**
 * A challenge as the node was given it at the upload's creation, with the
 * upload's length and declared hashes: what a tracker other than the one
 * that issued it needs to check an answer (trackers keep challenges in
 * memory; the node is trusted with them as it is with the cluster secret).
 */
export interface IssuedChallenge {
  challenge: Challenge;
  length: number;
  declared: Omit<BlobIdentity, 'size'>;
}

/** node → tracker: the client's answer; single use. */
export interface ProofVerifyRequest {
  uploadId: string;
  nodeId: string;
  proof: string;
  issued?: IssuedChallenge;
}

export type ProofVerifyResponse = { ok: false } | { ok: true; blobId: string; prefixes: PrefixHash[] };

/** node → tracker: the upload proved possession and its prefix matched: link it to the proven blob. */
export interface CommitProvenRequest {
  uploadId: string;
  nodeId: string;
  filename: string;
  /** As CommitRequest's. */
  owner?: string;
  /** The answer the tracker accepted and the challenge: a tracker that did not check it checks it again. */
  proof?: string;
  issued?: IssuedChallenge;
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

/** How far a long operation got: `done` of `total` (when known) `unit`s (bytes, blobs, nodes). */
export interface JobProgress {
  done: number;
  total?: number;
  unit: string;
}

/**
 * A long operation run as a job (a worker run, fsck, a blob's verify): its
 * start answers 202 with this at once, and GET …/jobs/<id> answers it until
 * an hour after it ended. `result` is what the operation answers when called
 * without ?job=1.
 */
export interface JobStatus {
  id: string;
  /** What runs: "worker scrub", "fsck", "verify <blob id>". */
  what: string;
  state: 'running' | 'done' | 'failed';
  started: string;
  finished?: string;
  /** Milliseconds since it started (to the end once it ended). */
  ms: number;
  progress?: JobProgress;
  result?: unknown;
  error?: { code: string; message: string };
}

/** GET /api/status: the download policy as it stands for the caller (docs/tiers.md). */
export interface StatusAnswer {
  /** The tracker's policy clock, ISO. */
  time: string;
  happyHour: {
    on: boolean;
    /** ISO: the end of the window now running (on), else undefined. */
    until?: string;
    /** ISO: the start of the next window (off), else undefined; none when the happy hour is off. */
    next?: string;
    /** Tiers it lifts. */
    tiers: string[];
  };
  caller: {
    tier: string;
    limits: {
      /** Bytes/s of one download now (0 = unthrottled). */
      rate: number;
      /** Files this caller may download at once now (0 = no limit). */
      concurrent: number;
    };
  };
}
