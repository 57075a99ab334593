// The store's writes, each one transaction running one rule (rules.ts), the
// same on every back end. Writes to a blob lock on its MD5: commits of that
// content, holder changes, bad copies and GC take turns.
import type { BadCopyRecord, BlobRecord } from './records.js';
import {
  decideBlobDelete,
  decideCommit,
  decideDropBadCopy,
  decideHolders,
  decideLinkDelete,
  decideMarkBad,
  decideRestore,
  isStaleBadCopy,
  type CommitResult,
  type CommitWrite,
  type Decision,
  type DeletedBlob,
  type HoldersChange,
  type HoldersChanged,
  type DeletedLink,
  type MarkBadResult,
} from './rules.js';
import { StoreError, type MetaStore, type MetaTx, type TransactOptions } from './store.js';

async function apply<R>(tx: MetaTx, d: Decision<R>): Promise<R> {
  await tx.write(...d.writes);
  return d.result;
}

const RETRY = Symbol('retry');

/** What onBlob needs of a store: its transactions and blob reads by id. */
export type BlobTransactor = Pick<MetaStore, 'transact'> & { blobs: Pick<MetaStore['blobs'], 'get'> };

/**
 * Runs `fn` in a transaction locked on the blob's MD5, with the blob as the
 * transaction sees it (undefined when there is none; the lock is then the
 * blob id's). Tries again when the blob came or went between the look-up of
 * its MD5 and the lock.
 */
export async function onBlob<T>(store: BlobTransactor, blobId: string, fn: (tx: MetaTx, blob: BlobRecord | undefined) => Promise<T>, opts?: TransactOptions): Promise<T> {
  for (;;) {
    const lockKey = (await store.blobs.get(blobId))?.md5 ?? blobId;
    const r = await store.transact(
      lockKey,
      async (tx) => {
        const blob = await tx.blob(blobId);
        if ((blob?.md5 ?? blobId) !== lockKey) return RETRY;
        return { value: await fn(tx, blob) };
      },
      opts,
    );
    if (r !== RETRY) return r.value;
  }
}

/** A commit's writes inside a transaction locked on the blob's MD5 (the committer's). */
export async function writeCommitIn(tx: MetaTx, w: CommitWrite): Promise<CommitResult> {
  const [link, blob, uploadLink] = await Promise.all([
    tx.link(w.link.id),
    tx.blob(w.blob.id),
    w.uploadId === undefined ? undefined : tx.linkOfUpload(w.uploadId),
  ]);
  return apply(tx, decideCommit(w, { link, blob, uploadLink }));
}

/**
 * Writes a new link and creates or updates its blob (refs, MD5 index,
 * counters) all or nothing, on disk before it resolves. Throws StoreError
 * CONFLICT, writing nothing, when the link id exists, the link names another
 * blob, or an existing blob of that id has another md5/size.
 */
export function writeCommit(store: MetaStore, w: CommitWrite): Promise<CommitResult> {
  return store.transact(w.blob.md5, (tx) => writeCommitIn(tx, w), { sync: true });
}

/**
 * Removes a link and decrements its blob's refs; at 0 the blob is marked
 * unreferenced (store.blobs.unreferenced) from `now`. Undefined when no such link.
 */
export async function deleteLink(store: MetaStore, id: string, now: string): Promise<DeletedLink | undefined> {
  const known = await store.links.get(id);
  if (!known) return undefined;
  return onBlob(store, known.blobId, async (tx, blob) => {
    const link = await tx.link(id);
    return link && apply(tx, decideLinkDelete(link, blob, now));
  });
}

export interface DeleteBlobOptions {
  /** Only a blob marked unreferenced goes (GC); others are left alone (undefined) rather than refused. */
  unreferencedOnly?: boolean;
}

/**
 * Removes a blob with no links: record, chunks, MD5 entry, unreferenced mark
 * and bad-copy records. Undefined when absent; StoreError CONFLICT when it
 * still has links.
 */
export function deleteBlob(store: MetaStore, id: string, opts: DeleteBlobOptions = {}): Promise<DeletedBlob | undefined> {
  return onBlob(store, id, async (tx, blob) => {
    if (!blob) return undefined;
    if (opts.unreferencedOnly && (blob.refs > 0 || blob.unreferencedSince === undefined)) return undefined;
    return apply(tx, decideBlobDelete(blob, await tx.badCopiesOf(id)));
  });
}

/** Records a node's copy as bad and takes the node off the blob's holders. Undefined when the blob is unknown. */
export function markCopyBad(store: MetaStore, rec: BadCopyRecord): Promise<MarkBadResult | undefined> {
  return onBlob(store, rec.blobId, async (tx, blob) => {
    if (!blob) return undefined;
    const known = (await tx.badCopiesOf(blob.id)).some((r) => r.nodeId === rec.nodeId);
    return apply(tx, decideMarkBad(blob, rec, known));
  });
}

/** A repaired copy: the node is a holder again and its bad-copy record goes. Undefined when the blob is gone. */
export function restoreCopy(store: MetaStore, blobId: string, nodeId: string): Promise<BlobRecord | undefined> {
  return onBlob(store, blobId, async (tx, blob) => blob && apply(tx, decideRestore(blob, nodeId)));
}

/**
 * Replaces the holder list, or adds and removes holders against the stored
 * list (not a copy read earlier), so concurrent copies and drops never undo
 * each other. Throws StoreError NOT_FOUND.
 */
export function changeHolders(store: MetaStore, blobId: string, change: HoldersChange): Promise<HoldersChanged> {
  return onBlob(store, blobId, async (tx, blob) => {
    if (!blob) throw new StoreError('NOT_FOUND', `no blob ${blobId}`);
    return apply(tx, decideHolders(blob, change));
  });
}

export interface DropBadCopyOptions {
  /** Only when nothing is left to repair (rules.ts isStaleBadCopy). */
  ifStale?: boolean;
}

/** Forgets a bad-copy record without touching holders; false when `ifStale` kept it. */
export function dropBadCopy(store: MetaStore, blobId: string, nodeId: string, opts: DropBadCopyOptions = {}): Promise<boolean> {
  return onBlob(store, blobId, async (tx, blob) => {
    if (opts.ifStale && !isStaleBadCopy(blob, nodeId)) return false;
    await apply(tx, decideDropBadCopy(blobId, nodeId));
    return true;
  });
}
