// One transaction on the PostgreSQL store: the shared transaction state
// (tx-records.ts) over reads on the transaction's connection, and its outcome
// as SQL. Reads asked for together (Promise.all) go as one round trip; the
// writes go with COMMIT as another. Both are plain SQL text with literals
// (every value checked or escaped in codec.ts), as the simple query protocol
// takes several statements at once and the extended one does not.
import type { PoolClient, QueryResult } from 'pg';
import { counterDelta } from '../counters.js';
import type { BadCopyRecord, BlobRecord, LinkRecord, RecordWrite, StoreCounters } from '../records.js';
import { isRecordId } from '../records.js';
import { TxRecords, type TxOutcome, type UsageChange } from '../tx-records.js';
import {
  BAD_COPY_COLUMNS,
  BLOB_COLUMNS,
  LINK_COLUMNS,
  badCopyOf,
  blobOf,
  blobRow,
  checkBadCopy,
  checkLink,
  checkTime,
  chunkColumns,
  isMd5Hex,
  isSha256Hex,
  linkOf,
  lit,
  prefixColumns,
  type BadCopyDbRow,
  type BlobDbRow,
  type LinkDbRow,
} from './codec.js';

/**
 * Statements sent together; each read waits for its own result. The reads
 * of every transaction in a group share one batch (group-commit.ts).
 */
export class ReadBatch {
  private statements: string[] = [];
  private waiters: Array<{ resolve: (r: QueryResult) => void; reject: (err: unknown) => void }> = [];
  /** Set once a read failed: the database transaction is then aborted for every reader. */
  failed = false;

  /**
   * `gather`: wait for the next turn of the event loop before sending, so
   * the reads of every transaction of a group go together (one transaction
   * alone sends what it asked for in the same tick).
   */
  constructor(
    private readonly client: PoolClient,
    private readonly opts: { gather?: boolean } = {},
  ) {}

  query<R>(sql: string): Promise<R[]> {
    return new Promise<QueryResult>((resolve, reject) => {
      if (this.statements.length === 0) {
        if (this.opts.gather) setImmediate(() => this.flush());
        else queueMicrotask(() => this.flush());
      }
      this.statements.push(sql);
      this.waiters.push({ resolve, reject });
    }).then((r) => r.rows as R[]);
  }

  private flush(): void {
    const { statements, waiters } = this;
    this.statements = [];
    this.waiters = [];
    this.client.query(statements.join(';\n')).then(
      (res: QueryResult | QueryResult[]) => {
        const all = Array.isArray(res) ? res : [res];
        waiters.forEach((w, i) => w.resolve(all[i]!));
      },
      (err: unknown) => {
        this.failed = true;
        waiters.forEach((w) => w.reject(err));
      },
    );
  }
}

/** Refuses, at the write, any record a column could not give back identical. */
export function checkWrite(w: RecordWrite): void {
  switch (w.type) {
    case 'blob':
      if (!isSha256Hex(w.id)) throw new TypeError(`invalid blob id ${JSON.stringify(w.id)}`);
      if (w.record) blobRow(w.record);
      if (w.chunks) chunkColumns(w.chunks);
      if (w.prefixes) prefixColumns(w.prefixes);
      return;
    case 'link':
      if (!isRecordId(w.id)) throw new TypeError(`invalid link id ${JSON.stringify(w.id)}`);
      if (w.record) checkLink(w.record);
      return;
    case 'badCopy':
      if (w.record) checkBadCopy({ ...w.record, blobId: w.blobId, nodeId: w.nodeId });
      return;
    case 'upload':
      if (!isRecordId(w.record.uploadId) || !isRecordId(w.record.linkId)) throw new TypeError(`invalid upload link ${JSON.stringify(w.record)}`);
      return;
    case 'md5Collision':
      if (!isMd5Hex(w.record.md5)) throw new TypeError(`invalid md5 ${JSON.stringify(w.record.md5)}`);
      checkTime(w.record.since, 'since');
      return;
    case 'usage':
      if (!isRecordId(w.userId) || !Number.isSafeInteger(w.delta)) throw new TypeError(`invalid usage write ${JSON.stringify(w)}`);
      if (w.limit !== undefined && !Number.isSafeInteger(w.limit)) throw new TypeError(`invalid usage limit ${w.limit}`);
      return;
  }
}

const first = <T>(rows: T[]): T | undefined => rows[0];

export function pgTx(batch: ReadBatch): TxRecords {
  const none = Promise.resolve(undefined);
  return new TxRecords(
    {
      blob: async (id) =>
        isSha256Hex(id) ? first((await batch.query<BlobDbRow>(`SELECT ${BLOB_COLUMNS} FROM blobs WHERE id = ${lit.bytea(id)}`)).map(blobOf)) : undefined,
      link: async (id) =>
        isRecordId(id) ? first((await batch.query<LinkDbRow>(`SELECT ${LINK_COLUMNS} FROM links WHERE id = ${lit.text(id)}`)).map(linkOf)) : undefined,
      upload: async (id) =>
        isRecordId(id) ? first(await batch.query<{ link_id: string }>(`SELECT link_id FROM uploads WHERE upload_id = ${lit.text(id)}`))?.link_id : undefined,
      badCopy: async (blobId, nodeId) =>
        isSha256Hex(blobId) && isRecordId(nodeId)
          ? first(
              (
                await batch.query<BadCopyDbRow>(
                  `SELECT ${BAD_COPY_COLUMNS} FROM bad_copies WHERE blob_id = ${lit.bytea(blobId)} AND node_id = ${lit.text(nodeId)}`,
                )
              ).map(badCopyOf),
            )
          : none,
      blobsByMd5: async (md5) =>
        isMd5Hex(md5) ? (await batch.query<BlobDbRow>(`SELECT ${BLOB_COLUMNS} FROM blobs WHERE md5 = ${lit.bytea(md5)}`)).map(blobOf) : [],
      badCopiesOf: async (blobId) =>
        isSha256Hex(blobId) ? (await batch.query<BadCopyDbRow>(`SELECT ${BAD_COPY_COLUMNS} FROM bad_copies WHERE blob_id = ${lit.bytea(blobId)}`)).map(badCopyOf) : [],
    },
    { check: checkWrite },
  );
}

function blobValues(b: BlobRecord): string {
  const r = blobRow(b);
  return [
    lit.int(r.size),
    lit.time(r.created),
    lit.time(r.unreferencedSince),
    lit.int(r.chunkSize),
    lit.int(r.chunks),
    lit.int(r.refs),
    lit.bytea(r.id),
    lit.bytea(r.md5),
    r.sha256 === undefined ? 'NULL' : lit.bytea(r.sha256),
    lit.textArray(r.nodes),
  ].join(', ');
}
const BLOB_INSERT_COLUMNS = 'size, created, unreferenced_since, chunk_size, chunks, refs, id, md5, sha256, nodes';

function blobUpdate(b: BlobRecord): string {
  const r = blobRow(b);
  return (
    `UPDATE blobs SET size = ${lit.int(r.size)}, created = ${lit.time(r.created)}, unreferenced_since = ${lit.time(r.unreferencedSince)}, ` +
    `chunk_size = ${lit.int(r.chunkSize)}, chunks = ${lit.int(r.chunks)}, refs = ${lit.int(r.refs)}, md5 = ${lit.bytea(r.md5)}, ` +
    `sha256 = ${r.sha256 === undefined ? 'NULL' : lit.bytea(r.sha256)}, nodes = ${lit.textArray(r.nodes)} WHERE id = ${lit.bytea(r.id)}`
  );
}

const litUploader = (l: LinkRecord) => (l.uploader === undefined ? 'NULL' : lit.text(l.uploader));
const linkValues = (l: LinkRecord) => `${lit.time(l.created)}, ${lit.text(l.id)}, ${lit.bytea(l.blobId)}, ${lit.text(l.filename)}, ${litUploader(l)}`;

/** SQLSTATE of a usage write refused by its limit (the store's QUOTA). */
export const QUOTA_SQLSTATE = 'HQ001';

/**
 * The statements that write a transaction's outcome ('' when it wrote
 * nothing). Creations are plain INSERTs: a record that exists by then fails
 * the transaction with a unique violation (the store's CONFLICT).
 */
export function writeSql(o: TxOutcome, shard: number): string {
  return [...recordSql(o), ...usageSql(o.usage), ...counterSql(counterDelta(o.counted), shard)].join(';\n');
}

/** The record writes of an outcome (usage and counters apart: a group writes those once, in order). */
export function recordSql(o: TxOutcome): string[] {
  const out: string[] = [];
  for (const { id, before, after, chunks, prefixes } of o.blobs) {
    const key = lit.bytea(id);
    if (!after) {
      out.push(`DELETE FROM blobs WHERE id = ${key}`, `DELETE FROM blob_chunks WHERE blob_id = ${key}`, `DELETE FROM blob_prefixes WHERE blob_id = ${key}`);
      continue;
    }
    if (before) {
      out.push(blobUpdate(after));
      continue;
    }
    out.push(`INSERT INTO blobs (${BLOB_INSERT_COLUMNS}) VALUES (${blobValues(after)})`);
    const c = chunkColumns(chunks ?? []);
    out.push(`INSERT INTO blob_chunks (blob_id, sizes, sha256s) VALUES (${key}, ${lit.intArray(c.sizes, 'int8')}, ${lit.bytesOf(c.sha256s)})`);
    if (prefixes?.length) {
      const p = prefixColumns(prefixes);
      out.push(
        `INSERT INTO blob_prefixes (blob_id, offsets, md5s, sha256s) VALUES (${key}, ${lit.intArray(p.offsets, 'int8')}, ${lit.bytesOf(p.md5s)}, ${lit.bytesOf(p.sha256s)})`,
      );
    }
  }
  for (const { id, before, after } of o.links) {
    if (!after) out.push(`DELETE FROM links WHERE id = ${lit.text(id)}`);
    else if (!before) out.push(`INSERT INTO links (created, id, blob_id, filename, uploader) VALUES (${linkValues(after)})`);
    else
      out.push(
        `UPDATE links SET created = ${lit.time(after.created)}, blob_id = ${lit.bytea(after.blobId)}, filename = ${lit.text(after.filename)}, uploader = ${litUploader(after)} WHERE id = ${lit.text(id)}`,
      );
  }
  for (const u of o.uploads) {
    out.push(
      u.created
        ? `INSERT INTO uploads (upload_id, link_id) VALUES (${lit.text(u.uploadId)}, ${lit.text(u.linkId)})`
        : `UPDATE uploads SET link_id = ${lit.text(u.linkId)} WHERE upload_id = ${lit.text(u.uploadId)}`,
    );
  }
  for (const b of o.badCopies) {
    if (!isSha256Hex(b.blobId) || !isRecordId(b.nodeId)) continue; // no record can exist under such ids
    const where = `blob_id = ${lit.bytea(b.blobId)} AND node_id = ${lit.text(b.nodeId)}`;
    if (!b.after) {
      out.push(`DELETE FROM bad_copies WHERE ${where}`);
      continue;
    }
    const r: BadCopyRecord = b.after;
    out.push(
      `INSERT INTO bad_copies (reported, blob_id, node_id, chunks, source) VALUES (${lit.time(r.reported)}, ${lit.bytea(b.blobId)}, ${lit.text(b.nodeId)}, ` +
        `${lit.intArray(r.chunks, 'int4')}, ${lit.text(r.source)}) ON CONFLICT (blob_id, node_id) DO UPDATE SET reported = excluded.reported, chunks = excluded.chunks, source = excluded.source`,
    );
  }
  for (const r of o.collisions) {
    out.push(`INSERT INTO md5_collisions (md5, since) VALUES (${lit.bytea(r.md5)}, ${lit.time(r.since)}) ON CONFLICT (md5) DO UPDATE SET since = excluded.since`);
  }
  return out;
}

/**
 * Usage updates; a group sends them sorted by account, so that two groups
 * never lock the same two account rows in opposite orders.
 */
export function usageSql(usage: readonly UsageChange[]): string[] {
  const out: string[] = [];
  for (const u of usage) {
    // The row lock taken by the UPDATE makes the check and the addition one step across trackers.
    const id = lit.text(u.userId);
    if (u.limit === undefined || u.delta <= 0) {
      out.push(`UPDATE users SET used_bytes = greatest(0, used_bytes + ${u.delta}) WHERE id = ${id}`);
      continue;
    }
    out.push(
      `DO $hoard$ BEGIN UPDATE users SET used_bytes = used_bytes + ${u.delta} WHERE id = ${id} AND used_bytes + ${u.delta} <= ${u.limit}; ` +
        `IF NOT FOUND AND EXISTS (SELECT 1 FROM users WHERE id = ${id}) THEN RAISE EXCEPTION 'usage limit' USING ERRCODE = '${QUOTA_SQLSTATE}'; END IF; END $hoard$`,
    );
  }
  return out;
}

/** The counters' additions, on this connection's shard row. */
export function counterSql(d: StoreCounters, shard: number): string[] {
  if (!(d.blobs || d.links || d.bytesStored || d.logicalBytes || d.uniqueBytes)) return [];
  return [
      `INSERT INTO counters (shard, blobs, links, bytes_stored, logical_bytes, unique_bytes) VALUES (${shard}, ${d.blobs}, ${d.links}, ${d.bytesStored}, ${d.logicalBytes}, ${d.uniqueBytes}) ` +
        'ON CONFLICT (shard) DO UPDATE SET blobs = counters.blobs + excluded.blobs, links = counters.links + excluded.links, ' +
        'bytes_stored = counters.bytes_stored + excluded.bytes_stored, logical_bytes = counters.logical_bytes + excluded.logical_bytes, ' +
        'unique_bytes = counters.unique_bytes + excluded.unique_bytes',
  ];
}
