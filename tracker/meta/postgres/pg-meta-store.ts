// MetaStore on PostgreSQL (schema in schema.ts), shared by every tracker of a
// cluster. A transaction holds one connection: BEGIN and an advisory lock on
// its key in one round trip (so transactions of one key take turns across
// trackers, not only inside this process), its reads, then its writes and
// COMMIT in one more. Transactions waiting at the same moment go together
// in one database transaction (group-commit.ts): one flush for many commits;
// transactions that do not ask for `sync` commit without waiting for the
// flush at all.
import pg from 'pg';
import { KeyedLock } from '../../../common/keyed-lock.js';
import { zeroCounters, isRecordId, type BadCopyRecord, type BlobRecord, type ChunkInfo, type LinkRecord, type NodeRecord, type PrefixHash, type StoreCounters } from '../records.js';
import {
  StoreError,
  type AccountTable,
  type RewardTable,
  type AuditLog,
  type BadCopyReader,
  type BlobReader,
  type DownloadCountTable,
  type LinkReader,
  type MetaStore,
  type MetaTx,
  type NodeTable,
  type Page,
  type TakedownTable,
  type TransactOptions,
  type UploadReader,
} from '../store.js';
import {
  BAD_COPY_COLUMNS,
  BLOB_COLUMNS,
  LINK_COLUMNS,
  badCopyOf,
  blobOf,
  chunksOf,
  hex,
  hexAfter,
  isMd5Hex,
  isSha256Hex,
  linkOf,
  prefixesOf,
  timeOf,
  type BadCopyDbRow,
  type BlobDbRow,
  type LinkDbRow,
} from './codec.js';
import { connectionConfig, type PgOptions } from './connection.js';
import { PgLeases } from './leases.js';
import { LOCK_CLASS, lockNumber } from './locks.js';
import { migrate } from './schema.js';
import { pgAccounts } from './accounts.js';
import { pgRewards } from './rewards.js';
import { pgDownloadCounts } from './download-counts.js';
import { pgAudit, pgTakedowns } from './takedowns.js';
import { GroupCommit } from './group-commit.js';
import { QUOTA_SQLSTATE, ReadBatch, pgTx, writeSql } from './transaction.js';

/** Counter shards: each connection adds to its own row, so commits never queue on one. */
const COUNTER_SHARDS = 1024;
const UNIQUE_VIOLATION = '23505';
/**
 * Transactions per group at most (group-commit.ts), and groups in flight at
 * once: half the pool, at most 8 (more added nothing measurable with 64
 * commits in flight; the other half of the pool serves reads).
 */
const GROUP_SIZE = 32;
const groupsFor = (pool: number) => Math.max(1, Math.min(8, Math.floor(pool / 2)));

const buf = (hexValue: string) => Buffer.from(hexValue, 'hex');

export class PgMetaStore implements MetaStore {
  private readonly pool: pg.Pool;
  private readonly locks = new KeyedLock();
  private readonly groups: GroupCommit;
  private readonly shards = new WeakMap<pg.PoolClient, number>();
  private nextShard = Math.floor(Math.random() * COUNTER_SHARDS);
  private closing: Promise<void> | undefined;
  /** Where, for messages: the URL without its password. */
  readonly where: string;

  readonly nodes: NodeTable;
  readonly blobs: BlobReader;
  readonly links: LinkReader;
  readonly uploads: UploadReader;
  readonly badCopies: BadCopyReader;
  readonly leases: PgLeases;
  readonly accounts: AccountTable;
  readonly rewards: RewardTable;
  readonly takedowns: TakedownTable;
  readonly audit: AuditLog;
  readonly downloadCounts: DownloadCountTable;

  constructor(url: string, opts: PgOptions = {}) {
    const cfg = connectionConfig(url, opts);
    this.where = cfg.where;
    this.pool = new pg.Pool(cfg.pool);
    this.leases = new PgLeases(cfg.pool, this.pool);
    this.groups = new GroupCommit({
      pool: this.pool,
      shardOf: (c) => this.shardOf(c),
      alone: (key, fn, sync) => this.alone(key, fn, sync),
      groups: groupsFor(cfg.pool.max ?? 1),
      size: GROUP_SIZE,
    });
    // An idle connection that breaks (server restart, failover) is dropped by the pool; the next query opens a new one.
    this.pool.on('error', () => undefined);
    const rows = async <R extends pg.QueryResultRow>(name: string, text: string, values: unknown[]) => (await this.pool.query<R>({ name, text, values })).rows;
    const blobs = async (name: string, where: string, values: unknown[]) => (await rows<BlobDbRow>(name, `SELECT ${BLOB_COLUMNS} FROM blobs ${where}`, values)).map(blobOf);
    /** A page over blob ids: the bound on the bytea key that selects the ids after `after` as strings. */
    const blobPage = (name: string, filter: string, page: Page) => {
      if (page.after === undefined) return blobs(name, `WHERE ${filter} ORDER BY id LIMIT $1`, [page.limit]);
      const { op, bound } = hexAfter(page.after);
      return blobs(`${name}-${op}`, `WHERE ${filter} AND id ${op} $2 ORDER BY id LIMIT $1`, [page.limit, buf(bound)]);
    };

    this.nodes = {
      put: async (node) => {
        if (!isRecordId(node.id)) throw new TypeError(`invalid node id ${JSON.stringify(node.id)}`);
        await this.pool.query({
          name: 'node-put',
          text: 'INSERT INTO nodes (id, record) VALUES ($1, $2::json) ON CONFLICT (id) DO UPDATE SET record = excluded.record',
          values: [node.id, JSON.stringify(node)],
        });
      },
      get: async (id) => (isRecordId(id) ? (await rows<{ record: NodeRecord }>('node-get', 'SELECT record FROM nodes WHERE id = $1', [id]))[0]?.record : undefined),
      list: async () => (await rows<{ record: NodeRecord }>('node-list', 'SELECT record FROM nodes ORDER BY id', [])).map((r) => r.record),
    };
    this.blobs = {
      get: async (id): Promise<BlobRecord | undefined> => (isSha256Hex(id) ? (await blobs('blob-get', 'WHERE id = $1', [buf(id)]))[0] : undefined),
      chunks: async (id): Promise<ChunkInfo[] | undefined> => {
        if (!isSha256Hex(id)) return undefined;
        const r = (await rows<{ sizes: number[]; sha256s: Buffer }>('blob-chunks', 'SELECT sizes, sha256s FROM blob_chunks WHERE blob_id = $1', [buf(id)]))[0];
        return r && chunksOf(r.sizes, r.sha256s);
      },
      prefixes: async (id): Promise<PrefixHash[] | undefined> => {
        if (!isSha256Hex(id)) return undefined;
        const r = (
          await rows<{ offsets: number[]; md5s: Buffer; sha256s: Buffer }>('blob-prefixes', 'SELECT offsets, md5s, sha256s FROM blob_prefixes WHERE blob_id = $1', [buf(id)])
        )[0];
        return r && prefixesOf(r.offsets, r.md5s, r.sha256s);
      },
      byMd5: async (md5) => (isMd5Hex(md5) ? blobs('blob-md5', 'WHERE md5 = $1 ORDER BY id', [buf(md5)]) : []),
      list: (page) => blobPage('blob-list', 'true', page),
      unreferenced: (page) => blobPage('blob-unref', 'unreferenced_since IS NOT NULL', page),
      md5Collided: async (md5) => isMd5Hex(md5) && (await rows('md5-collided', 'SELECT 1 FROM md5_collisions WHERE md5 = $1', [buf(md5)])).length > 0,
      // Few rows: the paging key is compared as the hex string it is.
      collisions: async (page) =>
        (
          await rows<{ md5: Buffer; since: Date }>(
            page.after === undefined ? 'collisions' : 'collisions-after',
            `SELECT md5, since FROM md5_collisions ${page.after === undefined ? '' : `WHERE encode(md5, 'hex') > $2 COLLATE "C" `}ORDER BY md5 LIMIT $1`,
            page.after === undefined ? [page.limit] : [page.limit, page.after],
          )
        ).map((r) => ({ md5: hex(r.md5), since: timeOf(r.since) })),
    };
    const links = async (name: string, where: string, values: unknown[]) => (await rows<LinkDbRow>(name, `SELECT ${LINK_COLUMNS} FROM links ${where}`, values)).map(linkOf);
    this.links = {
      get: async (id): Promise<LinkRecord | undefined> => (isRecordId(id) ? (await links('link-get', 'WHERE id = $1', [id]))[0] : undefined),
      list: (page) =>
        page.after === undefined ? links('link-list', 'ORDER BY id LIMIT $1', [page.limit]) : links('link-list-after', 'WHERE id > $2 ORDER BY id LIMIT $1', [page.limit, page.after]),
      ofBlob: async (blobId, page) => {
        if (!isSha256Hex(blobId)) return [];
        const r =
          page.after === undefined
            ? await rows<{ id: string }>('link-of-blob', 'SELECT id FROM links WHERE blob_id = $1 ORDER BY id LIMIT $2', [buf(blobId), page.limit])
            : await rows<{ id: string }>('link-of-blob-after', 'SELECT id FROM links WHERE blob_id = $1 AND id > $3 ORDER BY id LIMIT $2', [
                buf(blobId),
                page.limit,
                page.after,
              ]);
        return r.map((x) => x.id);
      },
      ofUploader: async (userId, page) => {
        if (!isRecordId(userId)) return [];
        return page.after === undefined
          ? links('link-of-uploader', 'WHERE uploader = $1 ORDER BY id LIMIT $2', [userId, page.limit])
          : links('link-of-uploader-after', 'WHERE uploader = $1 AND id > $3 ORDER BY id LIMIT $2', [userId, page.limit, page.after]);
      },
    };
    this.uploads = {
      linkOf: async (uploadId) =>
        isRecordId(uploadId) ? (await rows<{ link_id: string }>('upload-link', 'SELECT link_id FROM uploads WHERE upload_id = $1', [uploadId]))[0]?.link_id : undefined,
      list: async (page) =>
        (
          await rows<{ upload_id: string; link_id: string }>(
            page.after === undefined ? 'upload-list' : 'upload-list-after',
            `SELECT upload_id, link_id FROM uploads ${page.after === undefined ? '' : 'WHERE upload_id > $2 '}ORDER BY upload_id LIMIT $1`,
            page.after === undefined ? [page.limit] : [page.limit, page.after],
          )
        ).map((r) => ({ uploadId: r.upload_id, linkId: r.link_id })),
    };
    const badCopies = async (name: string, where: string, values: unknown[]) =>
      (await rows<BadCopyDbRow>(name, `SELECT ${BAD_COPY_COLUMNS} FROM bad_copies ${where}`, values)).map(badCopyOf);
    this.badCopies = {
      // Bad copies are few: the paging key is compared as the string it is (blob id, ':', node id).
      list: (page) =>
        page.after === undefined
          ? badCopies('bad-list', 'ORDER BY blob_id, node_id LIMIT $1', [page.limit])
          : badCopies('bad-list-after', `WHERE encode(blob_id, 'hex') || ':' || node_id > $2 COLLATE "C" ORDER BY blob_id, node_id LIMIT $1`, [page.limit, page.after]),
      of: async (blobId): Promise<BadCopyRecord[]> =>
        isSha256Hex(blobId) ? badCopies('bad-of', 'WHERE blob_id = $1 ORDER BY node_id', [buf(blobId)]) : [],
    };
    this.accounts = pgAccounts(this.pool);
    this.rewards = pgRewards(this.pool);
    this.takedowns = pgTakedowns(this.pool);
    this.audit = pgAudit(this.pool);
    this.downloadCounts = pgDownloadCounts(this.pool);
  }

  async open(): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      await this.pool.end().catch(() => undefined);
      throw new StoreError('UNAVAILABLE', `cannot reach PostgreSQL at ${this.where}: ${(err as Error).message}`);
    }
    try {
      await migrate(client, this.where);
      client.release();
    } catch (err) {
      client.release(true);
      await this.pool.end().catch(() => undefined);
      throw err;
    }
  }

  close(): Promise<void> {
    // pool.end waits for connections in use to come back.
    this.closing ??= Promise.all([this.leases.close(), this.pool.end()]).then(() => undefined);
    return this.closing;
  }

  async counters(): Promise<StoreCounters> {
    const r = await this.pool.query<StoreCounters>({
      name: 'counters',
      text:
        'SELECT coalesce(sum(blobs), 0)::int8 AS "blobs", coalesce(sum(links), 0)::int8 AS "links", coalesce(sum(bytes_stored), 0)::int8 AS "bytesStored", ' +
        'coalesce(sum(logical_bytes), 0)::int8 AS "logicalBytes", coalesce(sum(unique_bytes), 0)::int8 AS "uniqueBytes" FROM counters',
    });
    return { ...zeroCounters(), ...r.rows[0] };
  }

  private shardOf(client: pg.PoolClient): number {
    let s = this.shards.get(client);
    if (s === undefined) {
      s = this.nextShard++ % COUNTER_SHARDS;
      this.shards.set(client, s);
    }
    return s;
  }

  transact<T>(lockKey: string, fn: (tx: MetaTx) => Promise<T>, opts: TransactOptions = {}): Promise<T> {
    // Transactions of one key in this process queue here, holding no connection while they wait; the others go in groups.
    return this.locks.run(lockKey, () => this.groups.run(lockKey, fn, opts.sync === true));
  }

  /** One transaction in a database transaction of its own: BEGIN with its lock, its reads, its writes with COMMIT. */
  private async alone<T>(lockKey: string, fn: (tx: MetaTx) => Promise<T>, sync: boolean): Promise<T> {
    const client = await this.pool.connect();
    // A connection goes back to the pool only once it is known to be out of any transaction.
    let clean = false;
    try {
      const relaxed = sync ? '' : 'SET LOCAL synchronous_commit = off; ';
      await client.query(`BEGIN; ${relaxed}SELECT pg_advisory_xact_lock(${LOCK_CLASS.transaction}, ${lockNumber(lockKey)})`);
      try {
        const tx = pgTx(new ReadBatch(client));
        const value = await fn(tx);
        const sql = writeSql(tx.outcome(), this.shardOf(client));
        await client.query(sql === '' ? 'COMMIT' : `${sql};\nCOMMIT`);
        clean = true;
        return value;
      } catch (err) {
        await client.query('ROLLBACK').then(
          () => (clean = true),
          () => undefined,
        );
        if ((err as { code?: unknown }).code === QUOTA_SQLSTATE) throw new StoreError('QUOTA', 'an account would store more than its limit');
        if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) {
          throw new StoreError('CONFLICT', `a record the transaction creates exists (${(err as { constraint?: string }).constraint ?? 'unique key'})`);
        }
        throw err;
      }
    } finally {
      client.release(clean ? undefined : true);
    }
  }
}
