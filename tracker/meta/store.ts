// The tracker's metadata store: nodes, blobs (with the MD5 index), links and
// the counters behind cluster stats. Every back end implements this interface
// and passes test/conformance/meta-store.ts.
import type { PrefixHash } from '../../common/protocol/prefix.js';
import type { ChunkInfo, NodeRegistration } from '../../common/protocol/types.js';

/** Bumped on any change of stored layout; a store written by another version is refused. */
export const SCHEMA_VERSION = 1;

/** A registered storage node as persisted (liveness itself lives in memory). */
export interface NodeRecord extends NodeRegistration {
  registered: string;
  lastSeen: string;
  /** Set by `hoard-admin drain`: the node takes no new copies and its copies move elsewhere. */
  draining?: boolean;
}

/** One stored content. `id` is the SHA-256 hex; `chunks` is the chunk count (hashes via getChunks). */
export interface BlobRecord {
  id: string;
  md5: string;
  sha256: string;
  size: number;
  chunkSize: number;
  chunks: number;
  /** Node ids holding a complete copy. */
  nodes: string[];
  /** Number of links pointing at this blob. */
  refs: number;
  created: string;
  /** Set while refs is 0: when the last link went; GC removes the blob a grace period later. */
  unreferencedSince?: string;
}

/** A copy a node reported failing its checksums: not a holder until repaired from a good copy. */
export interface BadCopyRecord {
  blobId: string;
  nodeId: string;
  /** Chunk indexes that failed. */
  chunks: number[];
  /** What found it: scrub, read or verify. */
  source: string;
  reported: string;
}

export interface MarkBadResult {
  blob: BlobRecord;
  /** False when the node was neither a holder nor already recorded bad (the tracker did not count on the copy). */
  recorded: boolean;
}

export interface DeletedBlob {
  blob: BlobRecord;
  /** Nodes with a bad-copy record for the blob (their quarantined bytes go too). */
  badNodes: string[];
}

export interface LinkRecord {
  id: string;
  blobId: string;
  filename: string;
  created: string;
}

/** Running totals kept in the same writes as the records they count. */
export interface StoreCounters {
  blobs: number;
  links: number;
  /** Σ size × holders. */
  bytesStored: number;
  /** Σ over links of the blob's size. */
  logicalBytes: number;
  /** Σ over blobs of size (each content once). */
  uniqueBytes: number;
}

export interface Page {
  /** 1..1000 */
  limit: number;
  /** Exclusive lower bound on the key (id) of the page. */
  after?: string;
}

export interface CommitWrite {
  link: LinkRecord;
  /**
   * The blob as it must be after the commit: a new one, or an existing one
   * with its holder list (holders added meanwhile by a copy are kept).
   */
  blob: Omit<BlobRecord, 'refs'>;
  /** Chunk hashes of a new blob; ignored when the blob exists. */
  chunks: ChunkInfo[];
  /** Prefix digests of a new blob (the prefix index); ignored when the blob exists. */
  prefixes?: PrefixHash[];
  /** Marks the MD5 as collided: a second content under it. Early stop is then off for that MD5. */
  md5Collision?: boolean;
  /** The resumable upload this link ends; it must not have a link yet. */
  uploadId?: string;
}

export interface CommitResult {
  blob: BlobRecord;
  created: boolean;
}

export interface BlobNodesChange {
  add?: readonly string[];
  remove?: readonly string[];
}

export type StoreErrorCode = 'SCHEMA_VERSION' | 'CONFLICT' | 'NOT_FOUND';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface MetaStore {
  /** Opens (creating when empty); throws StoreError SCHEMA_VERSION on a store of another version. */
  open(): Promise<void>;
  close(): Promise<void>;

  putNode(node: NodeRecord): Promise<void>;
  getNode(id: string): Promise<NodeRecord | undefined>;
  listNodes(): Promise<NodeRecord[]>;

  getBlob(id: string): Promise<BlobRecord | undefined>;
  getChunks(id: string): Promise<ChunkInfo[] | undefined>;
  /** Every blob indexed under this MD5 (more than one only on an MD5 collision). */
  blobsByMd5(md5: string): Promise<BlobRecord[]>;
  listBlobs(page: Page): Promise<BlobRecord[]>;
  /** Replaces a blob's holder list; counters follow. Throws StoreError NOT_FOUND. */
  setBlobNodes(id: string, nodes: string[]): Promise<BlobRecord>;
  /**
   * Adds and removes holders in one step against the stored list (not a
   * copy read earlier), so concurrent copies and drops never undo each
   * other; counters follow. Throws StoreError NOT_FOUND.
   */
  changeBlobNodes(id: string, change: BlobNodesChange): Promise<BlobRecord>;

  getLink(id: string): Promise<LinkRecord | undefined>;
  listLinks(page: Page): Promise<LinkRecord[]>;
  /** Link ids pointing at a blob, in id order. */
  linksOfBlob(blobId: string, page: Page): Promise<string[]>;

  /**
   * Writes a new link and creates or updates its blob (refs, MD5 index,
   * counters) all or nothing. Throws StoreError CONFLICT, writing nothing,
   * when the link id exists, the link names another blob, or an existing
   * blob of that id has another md5/size.
   */
  commit(write: CommitWrite): Promise<CommitResult>;

  /** A blob's prefix digests (undefined for blobs stored without them). */
  getPrefixes(blobId: string): Promise<PrefixHash[] | undefined>;
  /** True once two contents were stored under this MD5. */
  md5Collision(md5: string): Promise<boolean>;
  /** The link id a resumable upload ended as. */
  linkOfUpload(uploadId: string): Promise<string | undefined>;

  counters(): Promise<StoreCounters>;

  // ---- Delete, GC and bad copies. Callers that change a blob's holders
  // (markCopyBad, restoreCopy, deleteBlob) hold the committer's lock for the
  // blob's MD5, as commits read holders before they write them.

  /**
   * Removes a link and decrements its blob's refs; at 0 the blob is marked
   * unreferenced (listUnreferenced) from `now`. Undefined when no such link;
   * `blob` is absent only for a link whose blob record is missing.
   */
  deleteLink(id: string, now: string): Promise<{ link: LinkRecord; blob?: BlobRecord } | undefined>;
  /** Blobs with no link, in id order, with `unreferencedSince` set. A commit of the same content unmarks one. */
  listUnreferenced(page: Page): Promise<BlobRecord[]>;
  /**
   * Removes a blob with no links: record, chunks, MD5 entry, unreferenced
   * mark and bad-copy records. Undefined when absent; StoreError CONFLICT
   * when it still has links.
   */
  deleteBlob(id: string): Promise<DeletedBlob | undefined>;
  /**
   * Records a node's copy as bad and takes the node off the blob's holders,
   * in one write. Undefined when the blob is unknown.
   */
  markCopyBad(rec: BadCopyRecord): Promise<MarkBadResult | undefined>;
  /** Bad-copy records in (blobId, nodeId) order; `after` is "<blobId>:<nodeId>". */
  listBadCopies(page: Page): Promise<BadCopyRecord[]>;
  badCopiesOf(blobId: string): Promise<BadCopyRecord[]>;
  /** A repaired copy: the node is a holder again and its bad-copy record goes. Undefined when the blob is gone. */
  restoreCopy(blobId: string, nodeId: string): Promise<BlobRecord | undefined>;
  /** Forgets a bad-copy record without touching holders. */
  dropBadCopy(blobId: string, nodeId: string): Promise<void>;
}
