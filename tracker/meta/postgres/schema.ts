// The PostgreSQL schema of the metadata store, as forward migrations: the
// store runs the ones a database lacks when it opens (one tracker at a time,
// under an advisory lock) and refuses a database migrated by a newer hoard.
// Every past migration stays here unchanged; a change of layout is a new one.
import type { PoolClient } from 'pg';
import { StoreError } from '../store.js';
import { LOCK_CLASS } from './locks.js';

/**
 * MIGRATIONS[i] takes a database from schema version i to i + 1. Columns are
 * ordered widest first (8-byte, then 4-byte, then variable), so rows carry
 * no alignment padding; text keys sort as bytes (COLLATE "C"), as the
 * store's paging keys do.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE hoard_schema (
    version int4 PRIMARY KEY,
    applied timestamptz NOT NULL DEFAULT now()
  );
  -- Few rows, written alone by the topology; the record's fields follow the cluster protocol.
  CREATE TABLE nodes (
    id text COLLATE "C" PRIMARY KEY,
    record json NOT NULL
  );
  CREATE TABLE blobs (
    size int8 NOT NULL,
    created timestamptz NOT NULL,
    unreferenced_since timestamptz,      -- set while no link names the blob (GC takes it later)
    chunk_size int4 NOT NULL,
    chunks int4 NOT NULL,
    refs int4 NOT NULL,
    id bytea PRIMARY KEY,                -- SHA-256
    md5 bytea NOT NULL,
    sha256 bytea,                        -- NULL: equal to id
    nodes text[] NOT NULL
  );
  CREATE INDEX blobs_md5 ON blobs (md5);
  CREATE INDEX blobs_unreferenced ON blobs (id) WHERE unreferenced_since IS NOT NULL;
  CREATE TABLE blob_chunks (
    blob_id bytea PRIMARY KEY,
    sizes int8[] NOT NULL,
    sha256s bytea NOT NULL               -- 32 bytes per chunk, in order
  );
  CREATE TABLE blob_prefixes (
    blob_id bytea PRIMARY KEY,
    offsets int8[] NOT NULL,
    md5s bytea NOT NULL,                 -- 16 bytes per checkpoint
    sha256s bytea NOT NULL               -- 32 bytes per checkpoint
  );
  CREATE TABLE links (
    created timestamptz NOT NULL,
    id text COLLATE "C" PRIMARY KEY,
    blob_id bytea NOT NULL,
    filename text NOT NULL
  );
  CREATE INDEX links_blob ON links (blob_id, id);
  CREATE TABLE uploads (
    upload_id text COLLATE "C" PRIMARY KEY,
    link_id text COLLATE "C" NOT NULL
  );
  CREATE TABLE bad_copies (
    reported timestamptz NOT NULL,
    blob_id bytea NOT NULL,
    node_id text COLLATE "C" NOT NULL,
    chunks int4[] NOT NULL,
    source text NOT NULL,
    PRIMARY KEY (blob_id, node_id)
  );
  CREATE TABLE md5_collisions (
    md5 bytea PRIMARY KEY,
    since timestamptz NOT NULL
  );
  -- Running totals in shards: each connection adds to its own row, reads sum them.
  CREATE TABLE counters (
    blobs int8 NOT NULL,
    links int8 NOT NULL,
    bytes_stored int8 NOT NULL,
    logical_bytes int8 NOT NULL,
    unique_bytes int8 NOT NULL,
    shard int4 PRIMARY KEY
  );
  `,
  // Accounts: links name their uploader; accounts carry their usage counter
  // (moved in the links' transactions); sessions, tokens and premium keys
  // keep only a hash of their secret. Records are JSON beside the columns
  // that are looked up or changed in SQL.
  `
  ALTER TABLE links ADD COLUMN uploader text COLLATE "C";
  CREATE TABLE users (
    used_bytes int8 NOT NULL DEFAULT 0,
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    record json NOT NULL
  );
  CREATE TABLE credentials (
    id text COLLATE "C" PRIMARY KEY,
    user_id text COLLATE "C" NOT NULL,
    record json NOT NULL
  );
  CREATE INDEX credentials_user ON credentials (user_id, id);
  CREATE TABLE premium_keys (
    id text COLLATE "C" PRIMARY KEY,
    record json NOT NULL
  );
  `,
  // An account's files, in id order (the account page).
  `
  CREATE INDEX links_uploader ON links (uploader, id) WHERE uploader IS NOT NULL;
  `,
  // The reward ledger: points and redemptions, only ever added; each
  // account's balance beside it on its row (an award or a redemption locks
  // the row, so the daily cap and the balance are checked in the same step).
  `
  ALTER TABLE users ADD COLUMN points_earned int8 NOT NULL DEFAULT 0, ADD COLUMN points_spent int8 NOT NULL DEFAULT 0;
  CREATE TABLE reward_points (
    id text COLLATE "C" PRIMARY KEY,
    uploader text COLLATE "C" NOT NULL,
    day text COLLATE "C" NOT NULL,       -- UTC day, YYYY-MM-DD
    record json NOT NULL
  );
  CREATE INDEX reward_points_uploader ON reward_points (uploader, day, id);
  CREATE TABLE reward_redemptions (
    user_id text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    record json NOT NULL,
    PRIMARY KEY (user_id, id)
  );
  `,
  // Takedown notices (the record as JSON beside what is looked up: the
  // target while in force, the uploaders it names) and the audit log.
  `
  CREATE TABLE takedowns (
    in_force bool NOT NULL,
    id text COLLATE "C" PRIMARY KEY,
    scope text NOT NULL,
    target text COLLATE "C" NOT NULL,
    uploaders text[] NOT NULL,
    record json NOT NULL
  );
  CREATE INDEX takedowns_target ON takedowns (scope, target) WHERE in_force;
  CREATE INDEX takedowns_uploaders ON takedowns USING gin (uploaders) WHERE in_force;
  CREATE TABLE audit_log (
    id text COLLATE "C" PRIMARY KEY,
    record json NOT NULL
  );
  `,
  // Complete downloads per link, on the link's row (gone with it); added in
  // batches a few seconds apart, never by a commit. A constant default: no
  // table rewrite.
  `
  ALTER TABLE links ADD COLUMN downloads int8 NOT NULL DEFAULT 0;
  `,
];

/** The schema this build writes. */
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Tables of the store: one found without a schema version means the database holds something else. */
export const STORE_TABLES = ['nodes', 'blobs', 'blob_chunks', 'blob_prefixes', 'links', 'uploads', 'bad_copies', 'md5_collisions', 'counters'];

/** Brings the database to PG_SCHEMA_VERSION; StoreError SCHEMA_VERSION on a newer one or on foreign tables. */
export async function migrate(client: PoolClient, where: string): Promise<{ from: number; to: number }> {
  await client.query('BEGIN');
  try {
    // Trackers starting together: one migrates, the others then find it done.
    await client.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_CLASS.schema]);
    const has = await client.query<{ t: string | null }>(`SELECT to_regclass('hoard_schema')::text AS t`);
    let from = 0;
    if (has.rows[0]!.t === null) {
      const found = await client.query<{ tablename: string }>(
        'SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY($1::text[])',
        [STORE_TABLES],
      );
      if (found.rows.length > 0) {
        throw new StoreError('SCHEMA_VERSION', `database ${where} has tables (${found.rows.map((r) => r.tablename).join(', ')}) but no hoard_schema`);
      }
    } else {
      const v = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM hoard_schema');
      from = v.rows[0]!.v ?? 0;
    }
    if (from > PG_SCHEMA_VERSION) {
      throw new StoreError('SCHEMA_VERSION', `database ${where} has schema version ${from}; this tracker reads up to ${PG_SCHEMA_VERSION}`);
    }
    for (let v = from; v < PG_SCHEMA_VERSION; v++) {
      await client.query(MIGRATIONS[v]!);
      await client.query('INSERT INTO hoard_schema (version) VALUES ($1)', [v + 1]);
    }
    await client.query('COMMIT');
    return { from, to: PG_SCHEMA_VERSION };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
