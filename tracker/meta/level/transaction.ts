// A transaction on the LevelDB store: the shared transaction state
// (tx-records.ts) over LevelDB reads, its outcome turned into one batch of
// key operations.
import type { BadCopyRecord, BlobRecord, LinkRecord, RecordWrite } from '../records.js';
import { TxRecords, type TxOutcome } from '../tx-records.js';
import { isKeyPart, keys, parts } from './keys.js';

export type Op = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

/** The reads a transaction needs from the database. */
export interface LevelReads {
  get<T>(key: string): Promise<T | undefined>;
  /** Ids of the blobs under an MD5, in id order. */
  md5Ids(md5: string): Promise<string[]>;
  badCopiesOf(blobId: string): Promise<BadCopyRecord[]>;
}

/** What the store writes for a transaction. */
export interface LevelOutcome {
  ops: Op[];
  /** Keys of records this transaction creates: they must still be absent when its batch is written. */
  created: string[];
  /** Usage counters to move when the batch is written (they are read then, not in the transaction). */
  usage: TxOutcome['usage'];
  counted: TxOutcome['counted'];
}

/** Ids are checked as key parts when written, so a bad one fails the write, not the batch. */
function checkKeys(w: RecordWrite): void {
  switch (w.type) {
    case 'blob':
      return parts(w.id, ...(w.record ? [w.record.md5] : []));
    case 'link':
      return parts(w.id, ...(w.record ? [w.record.blobId] : []));
    case 'badCopy':
      // No record can exist under ids that are not key parts: deleting one is a no-op (the outcome skips it).
      return w.record ? parts(w.blobId, w.nodeId) : undefined;
    case 'upload':
      return parts(w.record.uploadId, w.record.linkId);
    case 'md5Collision':
      return parts(w.record.md5);
    case 'usage':
      if (!Number.isSafeInteger(w.delta)) throw new TypeError(`invalid usage delta ${w.delta}`);
      return parts(w.userId);
  }
}

export function levelTx(db: LevelReads): TxRecords {
  const none = Promise.resolve(undefined);
  const byId = <T>(key: (id: string) => string) => (id: string) => (isKeyPart(id) ? db.get<T>(key(id)) : none);
  return new TxRecords(
    {
      blob: byId<BlobRecord>(keys.blob),
      link: byId<LinkRecord>(keys.link),
      upload: byId<string>(keys.upload),
      badCopy: (blobId, nodeId) => (isKeyPart(blobId) && isKeyPart(nodeId) ? db.get<BadCopyRecord>(keys.badCopy(blobId, nodeId)) : none),
      blobsByMd5: async (md5) => {
        const ids = isKeyPart(md5) ? await db.md5Ids(md5) : [];
        const blobs = await Promise.all(ids.map((id) => db.get<BlobRecord>(keys.blob(id))));
        return blobs.filter((b): b is BlobRecord => b !== undefined);
      },
      badCopiesOf: (blobId) => (isKeyPart(blobId) ? db.badCopiesOf(blobId) : Promise.resolve([])),
    },
    { check: checkKeys },
  );
}

/** The key operations for everything a transaction wrote. */
export function levelOutcome(o: TxOutcome): LevelOutcome {
  const ops: Op[] = [];
  const created: string[] = [];
  for (const { id, before, after, chunks, prefixes } of o.blobs) {
    if (!after) {
      if (!before) continue;
      ops.push(
        { type: 'del', key: keys.blob(id) },
        { type: 'del', key: keys.chunks(id) },
        { type: 'del', key: keys.prefixes(id) },
        { type: 'del', key: keys.md5(before.md5, id) },
        { type: 'del', key: keys.unreferenced(id) },
      );
      continue;
    }
    ops.push({ type: 'put', key: keys.blob(id), value: after });
    if (!before) {
      created.push(keys.blob(id));
      ops.push({ type: 'put', key: keys.chunks(id), value: chunks ?? [] }, { type: 'put', key: keys.md5(after.md5, id), value: 1 });
      if (prefixes?.length) ops.push({ type: 'put', key: keys.prefixes(id), value: prefixes });
    }
    if (after.unreferencedSince === before?.unreferencedSince) continue;
    if (after.unreferencedSince !== undefined) ops.push({ type: 'put', key: keys.unreferenced(id), value: after.unreferencedSince });
    else ops.push({ type: 'del', key: keys.unreferenced(id) });
  }
  for (const { id, before, after } of o.links) {
    if (after) {
      ops.push({ type: 'put', key: keys.link(id), value: after });
      if (!before) {
        created.push(keys.link(id));
        ops.push({ type: 'put', key: keys.linkOfBlob(after.blobId, id), value: 1 });
      }
      if (before?.uploader !== undefined && before.uploader !== after.uploader) ops.push({ type: 'del', key: keys.linkOfUploader(before.uploader, id) });
      if (after.uploader !== undefined && before?.uploader !== after.uploader) ops.push({ type: 'put', key: keys.linkOfUploader(after.uploader, id), value: 1 });
    } else if (before) {
      ops.push({ type: 'del', key: keys.link(id) }, { type: 'del', key: keys.linkOfBlob(before.blobId, id) }, { type: 'del', key: keys.linkDownloads(id) });
      if (before.uploader !== undefined) ops.push({ type: 'del', key: keys.linkOfUploader(before.uploader, id) });
    }
  }
  for (const u of o.uploads) {
    if (u.created) created.push(keys.upload(u.uploadId));
    ops.push({ type: 'put', key: keys.upload(u.uploadId), value: u.linkId });
  }
  for (const b of o.badCopies) {
    if (!isKeyPart(b.blobId) || !isKeyPart(b.nodeId)) continue;
    const key = keys.badCopy(b.blobId, b.nodeId);
    ops.push(b.after ? { type: 'put', key, value: b.after } : { type: 'del', key });
  }
  for (const r of o.collisions) ops.push({ type: 'put', key: keys.collision(r.md5), value: { since: r.since } });
  return { ops, created, usage: o.usage, counted: o.counted };
}
