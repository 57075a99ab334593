// The PostgreSQL index baseline: the rows the tracker's PostgreSQL store
// writes per blob (blob, chunk list, link, a counter shard), in one
// transaction per blob with a synced commit (or several blobs per
// transaction, as the store's group commit batches them), and the same two reads per
// lookup, through a pool of as many connections as the store uses, but none
// of the store's locks, checks or transaction reads. Run against a database
// whose schema the store created, so tables and indexes are the same.
import pg from 'pg';
import type { SyntheticBlob } from './raw-level.js';

const COUNTER_SHARDS = 1024;

export class RawPostgresIndex {
  private readonly pool: pg.Pool;
  private shard = 0;

  constructor(url: string, connections: number) {
    this.pool = new pg.Pool({ connectionString: url, max: connections });
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  /** One blob in a synced transaction of its own. */
  insert(b: SyntheticBlob): Promise<void> {
    return this.insertMany([b]);
  }

  /** Several blobs in one synced transaction, each statement its own round trip (prepared). */
  async insertMany(blobs: readonly SyntheticBlob[]): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      // One counter shard per transaction, as the store has one per connection.
      const shard = this.shard++ % COUNTER_SHARDS;
      for (const b of blobs) await this.rows(c, b, shard);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  }

  private async rows(c: pg.PoolClient, b: SyntheticBlob, shard: number): Promise<void> {
    const id = Buffer.from(b.blobId, 'hex');
    await c.query({
      name: 'raw-blob',
      text: 'INSERT INTO blobs (size, created, chunk_size, chunks, refs, id, md5, nodes) VALUES ($1, $2, $3, 1, 1, $4, $5, $6)',
      values: [b.size, b.created, 8 << 20, id, Buffer.from(b.md5, 'hex'), ['bench-node']],
    });
    await c.query({ name: 'raw-chunks', text: 'INSERT INTO blob_chunks (blob_id, sizes, sha256s) VALUES ($1, $2, $3)', values: [id, [b.size], id] });
    await c.query({ name: 'raw-link', text: 'INSERT INTO links (created, id, blob_id, filename) VALUES ($1, $2, $3, $4)', values: [b.created, b.linkId, id, b.filename] });
    await c.query({
      name: 'raw-counters',
      text:
        'INSERT INTO counters (shard, blobs, links, bytes_stored, logical_bytes, unique_bytes) VALUES ($1, 1, 1, $2, $2, $2) ' +
        'ON CONFLICT (shard) DO UPDATE SET blobs = counters.blobs + 1, links = counters.links + 1, bytes_stored = counters.bytes_stored + $2, ' +
        'logical_bytes = counters.logical_bytes + $2, unique_bytes = counters.unique_bytes + $2',
      values: [shard, b.size],
    });
  }

  /** What GET /f/<id> reads: the link, then its blob. */
  async lookup(linkId: string): Promise<boolean> {
    const l = await this.pool.query<{ blob_id: Buffer }>({ name: 'raw-link-get', text: 'SELECT blob_id FROM links WHERE id = $1', values: [linkId] });
    const blobId = l.rows[0]?.blob_id;
    if (!blobId) return false;
    const r = await this.pool.query({
      name: 'raw-blob-get',
      text: 'SELECT id, md5, sha256, size, chunk_size, chunks, nodes, refs, created, unreferenced_since FROM blobs WHERE id = $1',
      values: [blobId],
    });
    return r.rows.length === 1;
  }
}
