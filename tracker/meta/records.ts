// The records of the tracker's metadata store, as every back end holds them.
// Rules (rules.ts) and counters (counters.ts) are written over these types;
// back ends only store and index them.
import type { PrefixHash } from '../../common/protocol/prefix.js';
import type { ChunkInfo, NodeRegistration } from '../../common/protocol/types.js';

export type { ChunkInfo, PrefixHash };

/** A registered storage node as persisted (liveness itself lives in memory). */
export interface NodeRecord extends NodeRegistration {
  registered: string;
  lastSeen: string;
  /** Set by `hoard-admin drain`: the node takes no new copies and its copies move elsewhere. */
  draining?: boolean;
}

/**
 * One stored content. `id` is the SHA-256 hex; `chunks` is the chunk count
 * (the hashes are a record of their own: store.blobs.chunks). Indexed by MD5,
 * and by `unreferencedSince` while it is set.
 */
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

/** A download link: a name for a blob. Indexed by blob (store.links.ofBlob). */
export interface LinkRecord {
  id: string;
  blobId: string;
  filename: string;
  created: string;
  /** The account that uploaded it (links of anonymous uploads, and links older than accounts, have none). */
  uploader?: string;
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

/** What a resumable upload ended as: written with the link, never changed. */
export interface UploadLinkRecord {
  uploadId: string;
  linkId: string;
}

/** An MD5 seen with two contents: early stop is off for it from then on. */
export interface Md5CollisionRecord {
  md5: string;
  since: string;
}

/** The tiers an account is given; premium is not a tier of its own but `premiumUntil` in the future. */
export type AccountTier = 'free' | 'admin';

/** A registered account. Its storage usage is a counter of its own (store.accounts.usage), moved by its links' transactions. */
export interface UserRecord {
  id: string;
  /** Unique; what the account signs in with. */
  name: string;
  /** scrypt$N$r$p$salt$hash (tracker/accounts/password.ts). */
  passwordHash: string;
  tier: AccountTier;
  /** ISO time premium ends (granted by an admin or by a premium key); absent: never premium. */
  premiumUntil?: string;
  /** A disabled account cannot sign in, and its sessions and tokens stop working. */
  disabled?: boolean;
  created: string;
}

/** A browser session or an API token: only the SHA-256 of its secret is stored. */
export interface CredentialRecord {
  id: string;
  userId: string;
  kind: 'session' | 'token';
  /** Hex SHA-256 of the secret part of what the client holds. */
  secretHash: string;
  /** A token's label, as its owner named it. */
  name?: string;
  created: string;
  expires: string;
}

/** A premium key: single use, worth `days` of premium to the account that redeems it. */
export interface PremiumKeyRecord {
  id: string;
  /** Hex SHA-256 of the key's secret part. */
  secretHash: string;
  days: number;
  created: string;
  redeemedBy?: string;
  redeemed?: string;
}

/** Running totals, written in the same transaction as the records they count (counters.ts). */
export interface StoreCounters {
  blobs: number;
  links: number;
  /** Σ size × holders. */
  bytesStored: number;
  /** Σ over links of the blob's size (= Σ over blobs of size × refs). */
  logicalBytes: number;
  /** Σ over blobs with at least one link of size (each linked content once): logicalBytes − uniqueBytes is what dedup saves, never negative. */
  uniqueBytes: number;
}

export const zeroCounters = (): StoreCounters => ({ blobs: 0, links: 0, bytesStored: 0, logicalBytes: 0, uniqueBytes: 0 });

/**
 * One record's new state inside a transaction (undefined: the record goes).
 * A blob written for the first time brings its chunk hashes and prefix
 * digests; a blob that goes takes them, its MD5 entry and its unreferenced
 * mark along. Upload links and collision marks are only ever added.
 */
export type RecordWrite =
  | { type: 'blob'; id: string; record: BlobRecord | undefined; chunks?: ChunkInfo[]; prefixes?: PrefixHash[] }
  | { type: 'link'; id: string; record: LinkRecord | undefined }
  | { type: 'badCopy'; blobId: string; nodeId: string; record: BadCopyRecord | undefined }
  | { type: 'upload'; record: UploadLinkRecord }
  | { type: 'md5Collision'; record: Md5CollisionRecord }
  /**
   * Adds `delta` bytes to an account's usage counter. With `limit`, the
   * whole transaction is refused (StoreError QUOTA) if the counter would end
   * above it: the check and the addition are one step, across trackers too.
   */
  | { type: 'usage'; userId: string; delta: number; limit?: number };

/** A blob or link written by a transaction, as it was before and as it ends: what the counters follow. */
export type CountedChange =
  | { type: 'blob'; before: BlobRecord | undefined; after: BlobRecord | undefined }
  | { type: 'link'; before: LinkRecord | undefined; after: LinkRecord | undefined };

/** The ids every back end can hold (node, link, upload ids; hashes are hex, so they fit too). */
const RECORD_ID_RE = /^[A-Za-z0-9_-]{1,128}$/;

/** Whether a record may be stored under this id: reads of other ids find nothing, writes of them are refused. */
export const isRecordId = (v: string): boolean => RECORD_ID_RE.test(v);

/** Paging keys: a page starts after the key of the previous page's last record. */
export const blobKey = (b: Pick<BlobRecord, 'id'>): string => b.id;
export const linkKey = (l: Pick<LinkRecord, 'id'>): string => l.id;
export const userKey = (u: Pick<UserRecord, 'id'>): string => u.id;
export const premiumKeyKey = (k: Pick<PremiumKeyRecord, 'id'>): string => k.id;
export const badCopyKey = (r: Pick<BadCopyRecord, 'blobId' | 'nodeId'>): string => `${r.blobId}:${r.nodeId}`;

/** What a takedown notice covers: one link, the content behind every link to a blob, or every link of an account. */
export type TakedownScope = 'link' | 'content' | 'user';

/**
 * A takedown notice as recorded (docs/takedowns.md): who issued it, when,
 * why, and the notice's public reference. In force until lifted; its links
 * answer 451 meanwhile. `target` is a link id, a blob id (SHA-256) or an
 * account id, by scope. Indexed while in force by (scope, target) and by
 * each account in `uploaders` (the repeat-infringer count).
 */
export interface TakedownRecord {
  id: string;
  scope: TakedownScope;
  target: string;
  reason: string;
  /** The notice's public reference (shown with the 451). */
  ref?: string;
  /** Who issued it (the operator as hoard-admin names them). */
  by: string;
  created: string;
  /** Legal hold: the bytes are kept while it is in force (no purge after the hold period). */
  keep?: boolean;
  /** User scope: the account was disabled with it. */
  disabledAccount?: boolean;
  /** Accounts whose links it covered when issued (at most MAX_TAKEDOWN_UPLOADERS). */
  uploaders: string[];
  /** When the links it covered were deleted after the hold period (the bytes then go with GC). */
  purged?: string;
  lifted?: string;
  liftedBy?: string;
}

/** One admin action, as the append-only audit log keeps it. `id` sorts in the order the entries were made. */
export interface AuditRecord {
  id: string;
  at: string;
  /** Who did it (the operator as hoard-admin names them, or 'tracker' for what the tracker did by rule). */
  actor: string;
  /** e.g. takedown.link, takedown.lift, user.tier, user.delete, link.delete. */
  action: string;
  /** What it was done to (a link id, a blob id, an account name, a notice id). */
  target: string;
  /** A short account of the details (tier set, reason given). */
  detail?: string;
}

/** A notice names at most this many uploaders (a content under many accounts' links). */
export const MAX_TAKEDOWN_UPLOADERS = 1000;

export const takedownKey = (n: Pick<TakedownRecord, 'id'>): string => n.id;
export const auditKey = (a: Pick<AuditRecord, 'id'>): string => a.id;
