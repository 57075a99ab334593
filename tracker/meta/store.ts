// The tracker's metadata store: one reader per record type, and writes
// through one transaction primitive. The rules that keep the records
// consistent (rules.ts), the counters (counters.ts) and the operations built
// from them (operations.ts) are written once, over this interface; a back end
// stores and indexes records and serialises transactions per key. Every back
// end passes test/conformance/meta-store (metaStoreSuite).
import type {
  BadCopyRecord,
  BlobRecord,
  ChunkInfo,
  CredentialRecord,
  LinkRecord,
  Md5CollisionRecord,
  NodeRecord,
  PrefixHash,
  PremiumKeyRecord,
  RecordWrite,
  StoreCounters,
  AuditRecord,
  TakedownRecord,
  TakedownScope,
  UploadLinkRecord,
  UserRecord,
} from './records.js';

import type { AwardOutcome, PointRecord, RedemptionRecord, RewardBalance } from './reward-records.js';

export type * from './records.js';
export type * from './reward-records.js';
export { pointKey } from './reward-records.js';
export { auditKey, badCopyKey, blobKey, linkKey, premiumKeyKey, takedownKey, userKey, zeroCounters } from './records.js';

/** Bumped on any change of stored layout; a store written by another version is refused. */
export const SCHEMA_VERSION = 1;

export interface Page {
  /** 1..1000 */
  limit: number;
  /** Exclusive lower bound on the paging key of the page (records.ts: blobKey, linkKey, badCopyKey). */
  after?: string;
}

/** QUOTA: a usage write with a limit would have ended above it (records.ts RecordWrite 'usage'). */
export type StoreErrorCode = 'SCHEMA_VERSION' | 'CONFLICT' | 'NOT_FOUND' | 'UNSUPPORTED' | 'UNAVAILABLE' | 'QUOTA';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface NodeTable {
  /** Nodes are written alone (no counters, no lock): the topology owns them. */
  put(node: NodeRecord): Promise<void>;
  get(id: string): Promise<NodeRecord | undefined>;
  /** Every node, in id order. */
  list(): Promise<NodeRecord[]>;
}

export interface BlobReader {
  get(id: string): Promise<BlobRecord | undefined>;
  chunks(id: string): Promise<ChunkInfo[] | undefined>;
  /** A blob's prefix digests (undefined for blobs stored without them). */
  prefixes(id: string): Promise<PrefixHash[] | undefined>;
  /** Every blob indexed under this MD5 (more than one only on an MD5 collision). */
  byMd5(md5: string): Promise<BlobRecord[]>;
  /** In id order. */
  list(page: Page): Promise<BlobRecord[]>;
  /** Blobs with no link, in id order, with `unreferencedSince` set. */
  unreferenced(page: Page): Promise<BlobRecord[]>;
  /** True once two contents were stored under this MD5. */
  md5Collided(md5: string): Promise<boolean>;
  /** Every MD5 seen with two contents, in MD5 order (moving a store: tracker/meta/migrate.ts). */
  collisions(page: Page): Promise<Md5CollisionRecord[]>;
}

export interface LinkReader {
  get(id: string): Promise<LinkRecord | undefined>;
  /** In id order. */
  list(page: Page): Promise<LinkRecord[]>;
  /** Link ids pointing at a blob, in id order. */
  ofBlob(blobId: string, page: Page): Promise<string[]>;
  /** The links an account uploaded, in id order (its files, as the account page lists them). */
  ofUploader(userId: string, page: Page): Promise<LinkRecord[]>;
}

export interface UploadReader {
  /** The link id a resumable upload ended as. */
  linkOf(uploadId: string): Promise<string | undefined>;
  /** Every upload link, in upload id order (moving a store). */
  list(page: Page): Promise<UploadLinkRecord[]>;
}

export interface BadCopyReader {
  /** In (blobId, nodeId) order; `after` is badCopyKey of the last record. */
  list(page: Page): Promise<BadCopyRecord[]>;
  of(blobId: string): Promise<BadCopyRecord[]>;
}

/**
 * Accounts, their sessions and tokens, and premium keys. Written apart from
 * blob transactions, except usage: links move it in their own transaction.
 */
export interface AccountTable {
  /** StoreError CONFLICT when the id or the name is taken. */
  createUser(user: UserRecord): Promise<void>;
  user(id: string): Promise<UserRecord | undefined>;
  userByName(name: string): Promise<UserRecord | undefined>;
  /** In id order (records.ts userKey). */
  users(page: Page): Promise<UserRecord[]>;
  /**
   * Reads the account and writes what `fn` returns, with other updates of
   * it held off; `fn` may not change id or name. Undefined when there is no
   * such account.
   */
  updateUser(id: string, fn: (u: UserRecord) => UserRecord): Promise<UserRecord | undefined>;
  /** The account, its sessions, tokens and usage counter go (its links are the caller's to remove first). False when absent. */
  deleteUser(id: string): Promise<boolean>;
  /** Logical bytes of the account's links (0 when none or no such account). */
  usage(id: string): Promise<number>;

  putCredential(c: CredentialRecord): Promise<void>;
  credential(id: string): Promise<CredentialRecord | undefined>;
  /** An account's sessions and tokens, in id order. */
  credentialsOf(userId: string): Promise<CredentialRecord[]>;
  deleteCredential(id: string): Promise<boolean>;

  /** StoreError CONFLICT when the id is taken. */
  createKey(k: PremiumKeyRecord): Promise<void>;
  key(id: string): Promise<PremiumKeyRecord | undefined>;
  /** In id order (records.ts premiumKeyKey). */
  keys(page: Page): Promise<PremiumKeyRecord[]>;
  /**
   * Marks the key redeemed by the account and extends its premium
   * (rules.ts premiumAfterKey) in one step. StoreError NOT_FOUND without
   * key or account, CONFLICT when the key was redeemed already.
   */
  redeemKey(keyId: string, userId: string, now: string): Promise<{ user: UserRecord; key: PremiumKeyRecord }>;
}

/**
 * The reward ledger (docs/rewards.md): points and redemptions, only ever
 * added, and each account's balance kept beside them in the same step.
 */
export interface RewardTable {
  /**
   * Adds the point, unless one with its id exists ('duplicate') or its
   * uploader has `dailyCap` points on its day ('capped'): the checks and the
   * addition are one step per uploader, across trackers too.
   */
  award(point: PointRecord, dailyCap: number): Promise<AwardOutcome>;
  /** An account's points in (day, id) order; `after` is pointKey of the last one. */
  points(userId: string, page: Page): Promise<PointRecord[]>;
  /** An account's redemptions in id (time) order. */
  redemptions(userId: string, page: Page): Promise<RedemptionRecord[]>;
  /** Points earned and spent (zero for an account with none). */
  balance(userId: string): Promise<RewardBalance>;
  /**
   * Spends the points and extends the account's premium (reward-rules.ts
   * decideRedemption) in one step with the record. StoreError NOT_FOUND
   * without the account, QUOTA when its balance is short, CONFLICT when the
   * id is taken.
   */
  redeem(ask: Omit<RedemptionRecord, 'premiumUntil'>): Promise<{ user: UserRecord; redemption: RedemptionRecord; balance: RewardBalance }>;
  /**
   * Adds a redemption as it was made elsewhere and spends its points, the
   * account left as it is (it carries its premium already): moving a store
   * (migrate.ts). False when the id is there already; StoreError NOT_FOUND
   * without the account.
   */
  restore(r: RedemptionRecord): Promise<boolean>;
}

/**
 * Takedown notices (docs/takedowns.md), written apart from blob
 * transactions: a notice only stops links from answering, the links
 * themselves change through the usual operations.
 */
export interface TakedownTable {
  /** StoreError CONFLICT when the id is taken. */
  create(n: TakedownRecord): Promise<void>;
  get(id: string): Promise<TakedownRecord | undefined>;
  /** In id order (records.ts takedownKey). */
  list(page: Page): Promise<TakedownRecord[]>;
  /** The notices in force (not lifted) on any of these targets, in id order. */
  inForce(targets: ReadonlyArray<{ scope: TakedownScope; target: string }>): Promise<TakedownRecord[]>;
  /**
   * Reads the notice and writes what `fn` returns (lifted, purged), with
   * other updates of it held off; `fn` may not change id, scope, target or
   * uploaders. Undefined when there is no such notice.
   */
  update(id: string, fn: (n: TakedownRecord) => TakedownRecord): Promise<TakedownRecord | undefined>;
  /** How many notices in force name this account among their uploaders. */
  strikes(userId: string): Promise<number>;
}

/**
 * How many times each link was downloaded completely (docs/web.md). Kept
 * apart from the link records so that a count never touches a commit;
 * trackers add what they counted in batches, a few seconds apart.
 */
export interface DownloadCountTable {
  /**
   * Adds each count (a positive whole number) to its link's, in one write,
   * not synced: a crash loses seconds of counts, never a commit. A link
   * that is gone (or goes meanwhile) is skipped.
   */
  add(counts: ReadonlyMap<string, number>): Promise<void>;
  /** The counts of these links, 0 for a link never downloaded or gone. */
  of(linkIds: readonly string[]): Promise<Map<string, number>>;
}

/** The audit log: entries are only ever added. */
export interface AuditLog {
  /** StoreError CONFLICT when the id is taken. */
  append(a: AuditRecord): Promise<void>;
  /** In id order, the oldest first (records.ts auditKey). */
  list(page: Page): Promise<AuditRecord[]>;
}

/** What a transaction reads (its own writes included) and writes. */
export interface MetaTx {
  blob(id: string): Promise<BlobRecord | undefined>;
  blobsByMd5(md5: string): Promise<BlobRecord[]>;
  link(id: string): Promise<LinkRecord | undefined>;
  linkOfUpload(uploadId: string): Promise<string | undefined>;
  badCopiesOf(blobId: string): Promise<BadCopyRecord[]>;
  /** Records written here land with the transaction, or not at all. */
  write(...writes: RecordWrite[]): Promise<void>;
}

export interface TransactOptions {
  /** On disk before the transaction resolves (a commit: the uploader then holds a link a crash cannot take back). */
  sync?: boolean;
}

/**
 * Leases on named jobs, so that trackers sharing a store run each of them
 * at one tracker only. A lease is held until its holder closes the store or
 * dies (its connection ends); another tracker takes it at its next try.
 */
export interface LeaseBook {
  /**
   * True while this process holds `name`, taking it when nobody does.
   * `holder` names this process to the others (hoard-admin workers shows it).
   * A store only one process can open holds every lease.
   */
  hold(name: string, holder: string): Promise<boolean>;
  /** The holder of each of `names` held now (by any process), by name. */
  holders(names: readonly string[]): Promise<Map<string, string>>;
}

export interface MetaStore {
  /** Opens (creating when empty); throws StoreError SCHEMA_VERSION on a store of another version. */
  open(): Promise<void>;
  /** Idempotent; waits for writes under way. */
  close(): Promise<void>;

  readonly nodes: NodeTable;
  readonly blobs: BlobReader;
  readonly links: LinkReader;
  readonly uploads: UploadReader;
  readonly badCopies: BadCopyReader;
  readonly accounts: AccountTable;
  readonly rewards: RewardTable;
  readonly takedowns: TakedownTable;
  readonly audit: AuditLog;
  readonly downloadCounts: DownloadCountTable;
  counters(): Promise<StoreCounters>;
  readonly leases: LeaseBook;

  /**
   * Runs `fn` with every other transaction of `lockKey` held off (the
   * operations lock on the blob's MD5, so commits, holder changes and GC of
   * one content take turns, across trackers on a shared back end too), then
   * writes what it wrote, counters included, all or nothing. A throwing `fn`
   * writes nothing. A record the transaction creates (blob, link, upload
   * link) that exists by then refuses the whole transaction (StoreError
   * CONFLICT): transactions of other keys may have created it meanwhile.
   */
  transact<T>(lockKey: string, fn: (tx: MetaTx) => Promise<T>, opts?: TransactOptions): Promise<T>;
}
