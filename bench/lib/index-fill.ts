// Filling the tracker's index in bulk, for index sizes that commits one by
// one would take hours to reach. Each blob still goes through the tracker's
// own commit (Committer, the rules of tracker/meta/operations.ts), but over a
// recorder instead of a store: the recorder gives the commit a transaction
// that finds nothing stored (the blobs are random, so that is what the store
// would find) and keeps what it wrote. The back end's own encoder turns that
// into its writes (level/transaction.ts levelOutcome: the keys and values of
// a commit's batch; postgres/transaction.ts recordSql: a commit's INSERTs,
// sent here as multi-row INSERTs of the same rows), written many blobs at a
// time without a sync per blob, with the counters added once at the end.
import { isDeepStrictEqual } from 'node:util';
import { Level } from 'level';
import pg from 'pg';
import type { BlobManifest } from '../../common/protocol/types.js';
import { Committer } from '../../tracker/index/committer.js';
import { addCounters, counterDelta } from '../../tracker/meta/counters.js';
import { COUNTERS_KEY } from '../../tracker/meta/level/keys.js';
import { levelOutcome, levelTx, type Op } from '../../tracker/meta/level/transaction.js';
import { checkWrite, counterSql, recordSql } from '../../tracker/meta/postgres/transaction.js';
import { zeroCounters, type BlobRecord, type ChunkInfo, type LinkRecord, type StoreCounters } from '../../tracker/meta/records.js';
import type { MetaStore, MetaTx } from '../../tracker/meta/store.js';
import { TxRecords, type TxOutcome } from '../../tracker/meta/tx-records.js';

/** Blobs per write: a LevelDB batch or one PostgreSQL transaction. */
const BATCH = 2_000;
/** Writes under way at once, so the next batch is made while the last is written. */
const WRITES_IN_FLIGHT = 2;
/** Filled records read back through the store afterwards. */
const CHECKED = 1_000;

/** Where the filled records go: the back end's own encoding, written in batches. */
export interface BulkWriter {
  /** A transaction that finds nothing stored, with the back end's checks on what it writes. */
  tx(): TxRecords;
  write(outcomes: TxOutcome[]): Promise<void>;
  /** Adds what the counters gained, then closes. */
  end(counted: StoreCounters): Promise<void>;
}

const nothing = {
  blob: async () => undefined,
  link: async () => undefined,
  upload: async () => undefined,
  badCopy: async () => undefined,
  blobsByMd5: async () => [],
  badCopiesOf: async () => [],
};

/** LevelDB: the store's batches, on its folder while the store is closed. */
export async function levelBulk(location: string): Promise<BulkWriter> {
  // As the store opens it (keys as strings, values JSON).
  const db = new Level<string, unknown>(location, { valueEncoding: 'json' });
  await db.open();
  return {
    tx: () => levelTx({ get: async () => undefined, md5Ids: async () => [], badCopiesOf: async () => [] }),
    write: (outcomes) => db.batch(outcomes.flatMap((o): Op[] => levelOutcome(o).ops)),
    async end(counted) {
      const before = (await db.get(COUNTERS_KEY)) as StoreCounters | undefined;
      await db.put(COUNTERS_KEY, addCounters({ ...zeroCounters(), ...before }, counted), { sync: true });
      await db.close();
    },
  };
}

/**
 * The store's single-row INSERTs as one multi-row INSERT per table, in the
 * order the tables first appear (blobs before the rows that name them).
 */
export function multiRow(statements: readonly string[]): string[] {
  const tables = new Map<string, string[]>();
  for (const s of statements) {
    const at = s.indexOf(' VALUES (');
    if (!s.startsWith('INSERT INTO ') || at < 0 || s.includes(' ON CONFLICT ')) throw new Error(`not a plain INSERT: ${s.slice(0, 80)}`);
    const head = s.slice(0, at + ' VALUES '.length);
    let rows = tables.get(head);
    if (!rows) tables.set(head, (rows = []));
    rows.push(s.slice(head.length));
  }
  return [...tables].map(([head, rows]) => head + rows.join(',\n'));
}

/** PostgreSQL: the store's rows into its tables, one transaction per batch, not synced each (the end is). */
export function pgBulk(url: string): BulkWriter {
  const pool = new pg.Pool({ connectionString: url, max: WRITES_IN_FLIGHT });
  return {
    tx: () => new TxRecords(nothing, { check: checkWrite }),
    async write(outcomes) {
      const rows = multiRow(outcomes.flatMap(recordSql));
      await pool.query(['BEGIN', 'SET LOCAL synchronous_commit = off', ...rows, 'COMMIT'].join(';\n'));
    },
    async end(counted) {
      // Shard 0, as any connection of the store may add to it.
      await pool.query(['BEGIN', ...counterSql(counted, 0), 'COMMIT'].join(';\n'));
      await pool.end();
    },
  };
}

/** One blob of the fill: what the commit is given. */
export interface FillBlob {
  filename: string;
  manifest: BlobManifest;
}

export interface Filled {
  link: LinkRecord;
  blob: BlobRecord;
  chunks: ChunkInfo[];
}

/**
 * Commits `n` blobs from `make(i)` through `commitVia` over a recorder and
 * writes them in bulk through `w`. `seen` gets each committed link and MD5.
 * Returns the first records written, to check against the store (checkFilled).
 */
export async function fillIndex(w: BulkWriter, n: number, make: (i: number) => FillBlob, commitVia: (store: FillRecorder) => Committer, seen: (f: Filled) => void, progress: (done: number) => void): Promise<Filled[]> {
  let batch: TxOutcome[] = [];
  const recorder = new FillRecorder(w, (o) => batch.push(o));
  const committer = commitVia(recorder);
  const checked: Filled[] = [];
  const writing = new Set<Promise<void>>();
  let counted = zeroCounters();
  const step = Math.max(1, Math.floor(n / 10));
  for (let i = 0; i < n; i++) {
    const b = make(i);
    const out = await committer.commit('bench-node', b.filename, b.manifest);
    if (out.dedup) throw new Error('a random blob was committed as a duplicate');
    const f: Filled = { link: out.link, blob: out.blob, chunks: b.manifest.chunks };
    seen(f);
    if (checked.length < CHECKED) checked.push(f);
    if (batch.length >= BATCH || i === n - 1) {
      for (const o of batch) counted = addCounters(counted, counterDelta(o.counted));
      const p = w.write(batch).finally(() => writing.delete(p));
      writing.add(p);
      batch = [];
      if (writing.size >= WRITES_IN_FLIGHT) await Promise.race(writing);
    }
    if ((i + 1) % step === 0) progress(i + 1);
  }
  await Promise.all(writing);
  await w.end(counted);
  return checked;
}

/** Stands in for the store under the committer: transactions that find nothing and keep what they wrote. */
export class FillRecorder {
  /** No blob is stored as far as a fill knows (only commits ask, and they read through the transaction). */
  readonly blobs = { get: async (): Promise<BlobRecord | undefined> => undefined };

  constructor(
    private readonly w: BulkWriter,
    private readonly keep: (o: TxOutcome) => void,
  ) {}

  async transact<T>(_lockKey: string, fn: (tx: MetaTx) => Promise<T>): Promise<T> {
    const tx = this.w.tx();
    const value = await fn(tx);
    this.keep(tx.outcome());
    return value;
  }
}

/** Reads the filled records back through the store: each must be there as the commit wrote it, and the counters must count them. */
export async function checkFilled(store: MetaStore, filled: readonly Filled[], n: number): Promise<void> {
  const c = await store.counters();
  if (c.blobs !== n || c.links !== n) throw new Error(`the store counts ${c.blobs} blobs and ${c.links} links after a fill of ${n}`);
  for (const f of filled) {
    const [link, blob, chunks, byMd5] = await Promise.all([store.links.get(f.link.id), store.blobs.get(f.blob.id), store.blobs.chunks(f.blob.id), store.blobs.byMd5(f.blob.md5)]);
    if (!isDeepStrictEqual(link, f.link)) throw new Error(`filled link ${f.link.id} reads back as ${JSON.stringify(link)}`);
    if (!isDeepStrictEqual(blob, f.blob)) throw new Error(`filled blob ${f.blob.id} reads back as ${JSON.stringify(blob)}`);
    if (!isDeepStrictEqual(chunks, f.chunks)) throw new Error(`chunks of filled blob ${f.blob.id} read back as ${JSON.stringify(chunks)}`);
    if (byMd5.length !== 1 || byMd5[0]!.id !== f.blob.id) throw new Error(`MD5 ${f.blob.md5} of a filled blob finds ${byMd5.length} blobs`);
  }
}
