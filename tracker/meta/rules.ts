// The rules that keep the store's records consistent, as pure functions: each
// takes the records a transaction read and returns the records to write and
// what the caller learns. operations.ts runs them inside transactions; the
// counters follow from the writes (counters.ts).
import type { BadCopyRecord, BlobRecord, ChunkInfo, LinkRecord, PrefixHash, PremiumKeyRecord, RecordWrite, TakedownRecord, UserRecord } from './records.js';
import { StoreError } from './store.js';

export interface Decision<R> {
  writes: RecordWrite[];
  result: R;
}

/** A new link, and the blob it names as the committer decided it. */
export interface CommitWrite {
  link: LinkRecord;
  /**
   * The blob as it must be after the commit: a new one, or an existing one
   * with its holder list (holders the store has beyond it are kept).
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
  /**
   * The uploader's storage limit in logical bytes, when the link has an
   * uploader with one: the commit is refused (StoreError QUOTA) if the
   * account's usage would end above it.
   */
  quota?: number;
}

/** What a commit finds in the store. */
export interface CommitState {
  link: LinkRecord | undefined;
  blob: BlobRecord | undefined;
  /** The link the upload already ended as (only read when the write names an upload). */
  uploadLink: string | undefined;
}

export interface CommitResult {
  blob: BlobRecord;
  created: boolean;
}

/**
 * A new link to a new or an existing blob. Refused (StoreError CONFLICT) when
 * the link names another blob, its id is taken, the upload has a link, or a
 * stored blob of that id has another MD5, SHA-256 or size. The blob's refs
 * count the link; a blob awaiting GC is taken off the GC list.
 */
export function decideCommit(w: CommitWrite, cur: CommitState): Decision<CommitResult> {
  const { link, blob } = w;
  if (link.blobId !== blob.id) throw new StoreError('CONFLICT', `link ${link.id} names blob ${link.blobId}, not ${blob.id}`);
  if (cur.link !== undefined) throw new StoreError('CONFLICT', `link ${link.id} exists`);
  if (w.uploadId !== undefined && cur.uploadLink !== undefined) throw new StoreError('CONFLICT', `upload ${w.uploadId} already has a link`);
  const old = cur.blob;
  if (old && (old.md5 !== blob.md5 || old.size !== blob.size || old.sha256 !== blob.sha256)) {
    throw new StoreError('CONFLICT', `blob ${blob.id} is stored with another md5 or size`);
  }
  // Union with the stored holders: a copy may have added one since the committer read the blob.
  const stored: BlobRecord = old
    ? { ...old, nodes: [...new Set([...old.nodes, ...blob.nodes])], refs: old.refs + 1 }
    : { ...blob, nodes: [...blob.nodes], refs: 1 };
  delete stored.unreferencedSince;
  const writes: RecordWrite[] = [
    { type: 'link', id: link.id, record: link },
    old ? { type: 'blob', id: blob.id, record: stored } : { type: 'blob', id: blob.id, record: stored, chunks: w.chunks, prefixes: w.prefixes },
  ];
  if (w.md5Collision) writes.push({ type: 'md5Collision', record: { md5: blob.md5, since: link.created } });
  if (w.uploadId !== undefined) writes.push({ type: 'upload', record: { uploadId: w.uploadId, linkId: link.id } });
  // Logical bytes: a link to content stored already costs its uploader the same as new content.
  if (link.uploader !== undefined) writes.push({ type: 'usage', userId: link.uploader, delta: blob.size, ...(w.quota === undefined ? {} : { limit: w.quota }) });
  return { writes, result: { blob: stored, created: !old } };
}

export interface DeletedLink {
  link: LinkRecord;
  /** Absent only for a link whose blob record is missing (the link goes all the same). */
  blob?: BlobRecord;
}

/** A link goes; its blob loses a ref, and at 0 is marked unreferenced from `now` (GC takes it later). */
export function decideLinkDelete(link: LinkRecord, blob: BlobRecord | undefined, now: string): Decision<DeletedLink> {
  const writes: RecordWrite[] = [{ type: 'link', id: link.id, record: undefined }];
  if (!blob) return { writes, result: { link } };
  if (link.uploader !== undefined) writes.push({ type: 'usage', userId: link.uploader, delta: -blob.size });
  const refs = Math.max(0, blob.refs - 1);
  const after: BlobRecord = { ...blob, refs };
  if (refs === 0) after.unreferencedSince = blob.unreferencedSince ?? now;
  writes.push({ type: 'blob', id: blob.id, record: after });
  return { writes, result: { link, blob: after } };
}

export interface DeletedBlob {
  blob: BlobRecord;
  /** Nodes with a bad-copy record for the blob (their quarantined bytes go too). */
  badNodes: string[];
}

/** A blob with no links goes with its bad-copy records; StoreError CONFLICT while it has links. */
export function decideBlobDelete(blob: BlobRecord, bad: readonly BadCopyRecord[]): Decision<DeletedBlob> {
  if (blob.refs > 0) throw new StoreError('CONFLICT', `blob ${blob.id} still has ${blob.refs} link(s)`);
  return {
    writes: [
      { type: 'blob', id: blob.id, record: undefined },
      ...bad.map((b): RecordWrite => ({ type: 'badCopy', blobId: blob.id, nodeId: b.nodeId, record: undefined })),
    ],
    result: { blob, badNodes: bad.map((b) => b.nodeId) },
  };
}

export interface MarkBadResult {
  blob: BlobRecord;
  /** False when the node was neither a holder nor already recorded bad (the tracker did not count on the copy). */
  recorded: boolean;
}

/** A node's copy reported bad: recorded, and the node is no longer a holder. */
export function decideMarkBad(blob: BlobRecord, rec: BadCopyRecord, known: boolean): Decision<MarkBadResult> {
  const wasHolder = blob.nodes.includes(rec.nodeId);
  if (!wasHolder && !known) return { writes: [], result: { blob, recorded: false } };
  const writes: RecordWrite[] = [{ type: 'badCopy', blobId: blob.id, nodeId: rec.nodeId, record: { ...rec, blobId: blob.id } }];
  if (!wasHolder) return { writes, result: { blob, recorded: true } };
  const after: BlobRecord = { ...blob, nodes: blob.nodes.filter((n) => n !== rec.nodeId) };
  writes.push({ type: 'blob', id: blob.id, record: after });
  return { writes, result: { blob: after, recorded: true } };
}

/** A repaired copy: the node is a holder again and its bad-copy record goes. */
export function decideRestore(blob: BlobRecord, nodeId: string): Decision<BlobRecord> {
  const writes: RecordWrite[] = [{ type: 'badCopy', blobId: blob.id, nodeId, record: undefined }];
  if (blob.nodes.includes(nodeId)) return { writes, result: blob };
  const after: BlobRecord = { ...blob, nodes: [...blob.nodes, nodeId] };
  writes.push({ type: 'blob', id: blob.id, record: after });
  return { writes, result: after };
}

/** A new holder list (`set`), or holders added and removed against the stored list. */
export type HoldersChange = { set: readonly string[] } | { add?: readonly string[]; remove?: readonly string[] };

export interface HoldersChanged {
  blob: BlobRecord;
  changed: boolean;
}

export function decideHolders(blob: BlobRecord, change: HoldersChange): Decision<HoldersChanged> {
  let nodes: string[];
  if ('set' in change) nodes = [...new Set(change.set)];
  else {
    const drop = new Set(change.remove ?? []);
    nodes = [...new Set([...blob.nodes, ...(change.add ?? [])])].filter((n) => !drop.has(n));
  }
  if (nodes.length === blob.nodes.length && nodes.every((n, i) => n === blob.nodes[i])) return { writes: [], result: { blob, changed: false } };
  const after: BlobRecord = { ...blob, nodes };
  return { writes: [{ type: 'blob', id: blob.id, record: after }], result: { blob: after, changed: true } };
}

/** A bad-copy record with nothing left to repair: its blob is gone, or the node holds it again by other means. */
export function isStaleBadCopy(blob: BlobRecord | undefined, nodeId: string): boolean {
  return !blob || blob.nodes.includes(nodeId);
}

export function decideDropBadCopy(blobId: string, nodeId: string): Decision<void> {
  return { writes: [{ type: 'badCopy', blobId, nodeId, record: undefined }], result: undefined };
}

const DAY_MS = 86_400_000;

/** Premium after a key of `days` is redeemed at `now`: added to what is left of it, or from now when none is. */
export function premiumAfterKey(user: UserRecord, key: PremiumKeyRecord, now: string): UserRecord {
  const from = Math.max(Date.parse(now), user.premiumUntil === undefined ? 0 : Date.parse(user.premiumUntil));
  return { ...user, premiumUntil: new Date(from + key.days * DAY_MS).toISOString() };
}

/** A premium key and the account redeeming it: the key marked, the account extended. Refused when used already. */
export function decideRedeem(user: UserRecord, key: PremiumKeyRecord, now: string): { user: UserRecord; key: PremiumKeyRecord } {
  if (key.redeemedBy !== undefined) throw new StoreError('CONFLICT', `key ${key.id} was redeemed already`);
  return { user: premiumAfterKey(user, key, now), key: { ...key, redeemedBy: user.id, redeemed: now } };
}

/** Whether a takedown notice is in force (issued and not lifted). */
export const isInForce = (n: Pick<TakedownRecord, 'lifted'>): boolean => n.lifted === undefined;

/** A notice's update as a back end writes it: only its state may change (lifted, purged), never what it covers. */
export function checkTakedownUpdate(before: TakedownRecord, after: TakedownRecord): TakedownRecord {
  const same = after.id === before.id && after.scope === before.scope && after.target === before.target && after.uploaders.join(',') === before.uploaders.join(',');
  if (!same) throw new TypeError("an update may not change a notice's id, scope, target or uploaders");
  return after;
}
