// 6. The tracker's index at scale, on each metadata back end (LevelDB, and
// PostgreSQL in a throwaway server with fsync on). Committing every blob one
// by one would take hours at 10 M blobs, so the index is filled in two parts:
// - the first N − M blobs (--blobs N, --commits M) in bulk
//   (bench/lib/index-fill.ts): each through the tracker's own commit
//   (Committer) over a recorder, its writes turned into the back end's own
//   records by the store's encoder (LevelDB batches of levelOutcome's keys
//   and values; PostgreSQL multi-row INSERTs of recordSql's rows), thousands
//   of blobs per write, then read back through the store to check them;
// - the last M blobs through the real Committer over the real store
//   (openMetaStore), 64 in flight, synced as in production: the inserts/s.
// The raw baselines start from a copy of the filled store (the same keys or
// rows) and insert their last M themselves. Lookups and bytes per blob are
// taken at N; then the real tracker is started on that store and links are
// read over HTTP with wrk while its memory is watched.
import { randomBytes } from 'node:crypto';
import { cpSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../common/log.js';
import type { BlobManifest } from '../../common/protocol/types.js';
import { Committer } from '../../tracker/index/committer.js';
import { openMetaStore } from '../../tracker/meta/open.js';
import type { BenchContext } from '../lib/context.js';
import { checkFilled, fillIndex, levelBulk, pgBulk, type BulkWriter, type Filled } from '../lib/index-fill.js';
import { RawLevelIndex, type SyntheticBlob } from '../baselines/raw-level.js';
import { RawPostgresIndex } from '../baselines/raw-postgres.js';
import { postgresUnavailable, startPostgres } from '../../scripts/cluster/postgres.js';
import { withUnit } from '../lib/format.js';
import { startTracker } from '../lib/hoard.js';
import { BenchClient, getDiscard } from '../lib/http-client.js';
import { RssSampler, rssBytes, type RssSample } from '../lib/rss.js';
import { fig, na, row } from '../lib/result.js';
import { msSince } from '../lib/stats.js';
import { randomPathScript } from '../lib/wrk.js';
import type { Scenario } from './scenario.js';

const IN_FLIGHT = 64;
/** The batched baseline: 64 blobs in flight as 8 transactions of 8, the shape of the store's group commit under 64 commits. */
const BATCHES_IN_FLIGHT = 8;
const BATCH = IN_FLIGHT / BATCHES_IN_FLIGHT;
const SAMPLE = 100_000;
const WRK_IDS = 10_000;
const NODE_ID = 'bench-node';
/** How each back end's bulk part is written (bench/lib/index-fill.ts). */
const BULK_HOW: Record<'index' | 'index-pg', string> = {
  index: 'in LevelDB batches of 2,000 blobs, unsynced but the last',
  'index-pg': 'as multi-row INSERTs of 2,000 blobs per transaction, synchronous_commit off but the last, then VACUUM (ANALYZE)',
};

function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const s = statSync(join(dir, name));
    total += s.isDirectory() ? dirBytes(join(dir, name)) : s.size;
  }
  return total;
}

function synthetic(i: number): SyntheticBlob {
  const r = randomBytes(64);
  const blobId = r.subarray(16, 48).toString('hex');
  const size = 1 + (r.readUInt32LE(48) % (8 << 20));
  return {
    linkId: r.subarray(48, 64).toString('base64url'),
    blobId,
    md5: r.subarray(0, 16).toString('hex'),
    size,
    chunks: [{ size, sha256: blobId }],
    filename: `file-${i}.bin`,
    created: new Date().toISOString(),
  };
}

/** Runs `fn(i)` for i in [0, n) with `inFlight` calls outstanding; returns calls per second. */
async function pool(n: number, inFlight: number, fn: (i: number) => Promise<void>, progress?: (done: number) => void): Promise<number> {
  const started = process.hrtime.bigint();
  let next = 0;
  let done = 0;
  const step = Math.max(1, Math.floor(n / 10));
  await Promise.all(
    Array.from({ length: Math.min(inFlight, n) }, async () => {
      while (next < n) {
        await fn(next++);
        if (++done % step === 0) progress?.(done);
      }
    }),
  );
  return n / (msSince(started) / 1000);
}

/** Keeps a uniform random sample of at most `cap` items. */
class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;
  constructor(private readonly cap: number) {}
  add(x: T): void {
    this.seen++;
    if (this.items.length < this.cap) this.items.push(x);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.cap) this.items[j] = x;
    }
  }
  pick(): T {
    return this.items[Math.floor(Math.random() * this.items.length)]!;
  }
  /** The same sample, going on apart. */
  copy(): Reservoir<T> {
    const r = new Reservoir<T>(this.cap);
    r.items.push(...this.items);
    r.seen = this.seen;
    return r;
  }
}

/** The raw engine with the same writes and reads, for the baseline rows. */
interface RawIndex {
  insert(b: SyntheticBlob): Promise<void>;
  /** Several blobs in one transaction, where the engine has transactions (the batching of a group commit, without its reads). */
  insertMany?(bs: SyntheticBlob[]): Promise<void>;
  lookup(linkId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Where one back end keeps the index, and how its size and its raw baseline are measured. */
interface IndexBackend {
  /** --meta for the store and the tracker. */
  spec: string;
  /** The store's own records written in bulk, while the store is closed. */
  bulk(): Promise<BulkWriter>;
  /** After the bulk part: the upkeep a store in service would have had done by then (none where the engine does it on its own). */
  settle?(): void;
  /** Copies the filled store where the raw baselines start. */
  forkRaw(): Promise<void>;
  /** Store files (after the store closed), per the whole index. */
  storeBytes(): Promise<number>;
  /** `filled`: blobs in the copy already. */
  raw(filled: number): Promise<RawIndex>;
  rawBytes(): Promise<number>;
  /** Where the store's bytes go, per blob (a note), where the engine tells. */
  breakdown?(blobs: number): string;
  /** The same engine in another copy of the filled store, for the batched baseline (none where the engine has no transactions). */
  rawBatched?(): Promise<RawIndex>;
  stop(): Promise<void>;
}

interface BackendKind {
  id: 'index' | 'index-pg';
  title: string;
  name: string;
  store: string;
  baseline: string;
  /** Why it cannot run here, or undefined. */
  unavailable(): string | undefined;
  prepare(ctx: BenchContext, dir: string, trackerDir: string): Promise<IndexBackend>;
  bytesNote: string;
}

const levelKind: BackendKind = {
  id: 'index',
  title: 'Tracker index',
  name: 'LevelDB',
  store: 'tracker/meta/level/ (LevelMetaStore)',
  baseline: 'raw LevelDB, same keys, one batch per blob, no reads',
  unavailable: () => undefined,
  bytesNote: 'the LevelDB folder after close',
  async prepare(_ctx, dir, trackerDir) {
    const metaDir = join(trackerDir, 'data', 'meta');
    return {
      spec: `level:${metaDir}`,
      bulk: () => levelBulk(metaDir),
      forkRaw: async () => cpSync(metaDir, join(dir, 'raw'), { recursive: true }),
      storeBytes: async () => dirBytes(metaDir),
      async raw(filled) {
        const raw = new RawLevelIndex(join(dir, 'raw'), filled);
        await raw.open();
        return raw;
      },
      rawBytes: async () => dirBytes(join(dir, 'raw')),
      stop: async () => undefined,
    };
  },
};

/** Tables, indexes and TOAST of the store's tables (not the WAL), in bytes. */
const TABLE_BYTES = `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::int8 AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'r'`;

/** Per table of the store: table (heap, TOAST) and index bytes, after a CHECKPOINT. */
const TABLE_SPLIT = `SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname`;

const pgKind: BackendKind = {
  id: 'index-pg',
  title: 'Tracker index on PostgreSQL',
  name: 'PostgreSQL',
  store: 'tracker/meta/postgres/ (PgMetaStore, 16 connections)',
  baseline: 'raw PostgreSQL, same rows, one synced transaction per blob, no locks or reads, 16 connections',
  unavailable: postgresUnavailable,
  bytesNote: 'the store\'s tables with their indexes (pg_total_relation_size, WAL not counted)',
  async prepare(ctx, dir) {
    // fsync and synchronous commit on, as in production; enough shared buffers to hold the hot part of 1 M blobs.
    const server = await startPostgres({ durable: true, settings: { shared_buffers: '1GB', max_wal_size: '4GB' } });
    const storeUrl = await server.createDatabase('hoard_index');
    // The store creates the schema; the baselines write the same tables, in copies of the filled database.
    const fork = (db: string) => server.psql(`CREATE DATABASE ${db} TEMPLATE hoard_index STRATEGY file_copy`);
    const rawOn = async (db: string, connections: number) => new RawPostgresIndex(server.url(db), connections);
    const bytes = async (db: string) => {
      server.psql('CHECKPOINT', db);
      return Number(server.psql(TABLE_BYTES, db).trim());
    };
    ctx.log(`index-pg: PostgreSQL on port ${server.port}`);
    return {
      spec: storeUrl,
      bulk: async () => pgBulk(storeUrl),
      // Autovacuum would otherwise take the millions of new rows on during the measured part, and only in the store's database (the copies start with no statistics).
      settle: () => void server.psql('VACUUM (ANALYZE)', 'hoard_index'),
      async forkRaw() {
        fork('hoard_raw');
        fork('hoard_raw_batched');
      },
      storeBytes: () => bytes('hoard_index'),
      breakdown(blobs) {
        const rows = server.psql(TABLE_SPLIT, 'hoard_index').trim().split('\n');
        const per = (v: string) => `${(Number(v) / blobs).toFixed(0)} B`;
        return rows.map((r) => r.split('|')).filter(([, table]) => Number(table) > 8192).map(([name, table, indexes]) => `${name} ${per(table!)} table + ${per(indexes!)} indexes`).join(', ');
      },
      raw: () => rawOn('hoard_raw', 16),
      rawBytes: () => bytes('hoard_raw'),
      rawBatched: () => rawOn('hoard_raw_batched', BATCHES_IN_FLIGHT),
      stop: async () => server.stop(),
    };
  },
};

function indexScenario(kind: BackendKind): Scenario {
  return {
    id: kind.id,
    title: kind.title,
    async run(ctx, res) {
      const why = kind.unavailable();
      if (why) {
        res.skipped = why;
        return;
      }
      const dir = ctx.dir(kind.id);
      const trackerDir = join(dir, 'tracker');
      try {
        const backend = await kind.prepare(ctx, dir, trackerDir);
        try {
          await measure(ctx, res, kind, backend, dir, trackerDir);
        } finally {
          await backend.stop();
        }
      } finally {
        // Gigabytes at 10 M blobs: gone before the next scenario.
        if (!ctx.opts.keep) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const manifestOf = (b: SyntheticBlob): BlobManifest => ({ id: b.blobId, md5: b.md5, sha256: b.blobId, size: b.size, chunkSize: 8 << 20, chunks: b.chunks });

async function measure(ctx: BenchContext, res: Parameters<Scenario['run']>[1], kind: BackendKind, backend: IndexBackend, dir: string, trackerDir: string): Promise<void> {
  const { blobs: n, commits, lookups, repeats, duration } = ctx.opts;
  const filled = n - commits;
  const links = new Reservoir<string>(SAMPLE);
  const md5s = new Reservoir<string>(SAMPLE);
  const commitDeps = { refuse: async () => undefined, isLive: () => true, log: createLogger('bench-index', 'silent') };
  const count = (v: number) => v.toLocaleString('en-US');

  // The first N − M blobs in bulk, into an empty store (its schema made by opening it).
  await (await openMetaStore(backend.spec)).close();
  let checked: Filled[] = [];
  let fillRate: number | undefined;
  if (filled > 0) {
    ctx.log(`${kind.id}: writing ${count(filled)} blobs in bulk (commits recorded, the ${kind.name} store's encoding)`);
    const started = process.hrtime.bigint();
    checked = await fillIndex(
      await backend.bulk(),
      filled,
      (i) => {
        const b = synthetic(i);
        return { filename: b.filename, manifest: manifestOf(b) };
      },
      (store) => new Committer({ store, ...commitDeps }),
      (f) => {
        links.add(f.link.id);
        md5s.add(f.blob.md5);
      },
      (done) => ctx.log(`${kind.id}: ${count(done)} written in bulk (${(msSince(started) / 1000).toFixed(0)} s)`),
    );
    fillRate = filled / (msSince(started) / 1000);
    ctx.log(`${kind.id}: bulk fill ${withUnit(fillRate, 'ops/s')}`);
    backend.settle?.();
  }
  await backend.forkRaw();
  const rawLinks = links.copy();

  // hoard: the last M through the tracker's commit over its store.
  const store = await openMetaStore(backend.spec);
  let insertRate: number;
  const lookupRates: number[] = [];
  const md5Rates: number[] = [];
  try {
    await checkFilled(store, checked, filled);
    const committer = new Committer({ store, ...commitDeps });
    ctx.log(`${kind.id}: committing blobs ${count(filled + 1)}–${count(n)} through Committer + the ${kind.name} meta store`);
    insertRate = await pool(
      commits,
      IN_FLIGHT,
      async (i) => {
        const b = synthetic(filled + i);
        const out = await committer.commit(NODE_ID, b.filename, manifestOf(b));
        if (out.dedup) throw new Error('a random blob was committed as a duplicate');
        links.add(out.link.id);
        md5s.add(b.md5);
      },
      (done) => ctx.log(`${kind.id}: ${count(done)} committed`),
    );
    for (let r = 0; r < repeats; r++) {
      lookupRates.push(
        await pool(lookups, IN_FLIGHT, async () => {
          const link = await store.links.get(links.pick());
          if (!link || !(await store.blobs.get(link.blobId))) throw new Error('a committed link was not found');
        }),
      );
      md5Rates.push(
        await pool(lookups, IN_FLIGHT, async () => {
          if ((await store.blobs.byMd5(md5s.pick())).length !== 1) throw new Error('a committed md5 was not found');
        }),
      );
    }
  } finally {
    await store.close();
  }
  const hoardBytes = (await backend.storeBytes()) / n;
  if (backend.breakdown) res.notes.push(`Bytes per blob at ${count(n)} blobs, by table of the store: ${backend.breakdown(n)}.`);
  ctx.log(`${kind.id}: hoard ${withUnit(insertRate, 'ops/s')} inserts, ${withUnit(lookupRates[0]!, 'ops/s')} lookups, ${hoardBytes.toFixed(0)} B/blob`);

  // Baseline: the same writes and reads straight into the engine, from the copy of the filled store.
  const raw = await backend.raw(filled);
  let rawInsert: number;
  const rawLookups: number[] = [];
  try {
    rawInsert = await pool(commits, IN_FLIGHT, async (i) => {
      const b = synthetic(filled + i);
      await raw.insert(b);
      rawLinks.add(b.linkId);
    });
    for (let r = 0; r < repeats; r++) {
      rawLookups.push(
        await pool(lookups, IN_FLIGHT, async () => {
          if (!(await raw.lookup(rawLinks.pick()))) throw new Error(`raw ${kind.name} lost a key`);
        }),
      );
    }
  } finally {
    await raw.close();
  }
  const rawBytes = (await backend.rawBytes()) / n;
  const base = (figure: ReturnType<typeof fig>) => ({ name: kind.baseline, figure });
  const inserts = `index inserts/s, blobs ${count(filled + 1)}–${count(n)}, ${IN_FLIGHT} in flight`;
  res.rows.push(row(inserts, 'ops/s', fig([insertRate]), base(fig([rawInsert]))));
  if (backend.rawBatched) {
    const batched = await backend.rawBatched();
    let rate: number;
    try {
      const perBatch = await pool(Math.floor(commits / BATCH), BATCHES_IN_FLIGHT, (i) => batched.insertMany!(Array.from({ length: BATCH }, (_, j) => synthetic(filled + i * BATCH + j))));
      rate = perBatch * BATCH;
    } finally {
      await batched.close();
    }
    ctx.log(`${kind.id}: raw, ${BATCH} blobs per transaction: ${withUnit(rate, 'ops/s')}`);
    res.rows.push(
      row(inserts, 'ops/s', fig([insertRate]), {
        name: `raw ${kind.name}, same rows, ${BATCH} blobs per synced transaction, ${BATCHES_IN_FLIGHT} connections`,
        figure: fig([rate]),
      }),
    );
  }
  res.rows.push(
    row(`link lookups/s (link + blob) at ${count(n)} blobs`, 'ops/s', fig(lookupRates), { name: `raw ${kind.name}, same two reads`, figure: fig(rawLookups) }),
    row(`MD5 lookups/s (dedup check) at ${count(n)} blobs`, 'ops/s', fig(md5Rates)),
    row(`bytes on disk per blob at ${count(n)} blobs`, 'B', fig([hoardBytes]), base(fig([rawBytes]))),
  );
  const fillNote = fillRate === undefined ? 'no bulk part' : `the first ${count(filled)} in bulk at ${withUnit(fillRate, 'ops/s')} (each through Committer over a recorder, written with the store's own encoding ${BULK_HOW[kind.id]}, then read back through the store and checked)`;
  res.notes.push(
    `Index of ${count(n)} random blobs of one chunk each, one link per blob: ${fillNote}; the last ${count(commits)} committed through tracker/index/committer.ts (Committer) and ${kind.store}, ${IN_FLIGHT} in flight, synced: the inserts/s. The raw baseline starts from a copy of the filled store and inserts its last ${count(commits)} itself. Lookups pick from a uniform sample of ${count(Math.min(n, SAMPLE))} links of all ${count(n)}. Bytes on disk: ${kind.bytesNote}, divided by ${count(n)}.`,
  );
  const total = count(n);

  // The real tracker serving that store over HTTP.
  if (!ctx.wrk) {
    res.rows.push(row('GET /api/links/<id> over HTTP', 'ops/s', na(`wrk not found at ${ctx.opts.wrk}`)));
    return;
  }
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  const t = await startTracker(ctx.procs, ctx.root, trackerDir, secretFile, `tracker (${kind.id})`, ['--meta', backend.spec]);
  try {
    const ids = links.items.slice(0, WRK_IDS);
    const probe = new BenchClient(1);
    const p = await getDiscard(probe, `${t.url}/api/links/${ids[0]}`).finally(() => probe.close());
    if (p.status !== 200) throw new Error(`GET /api/links/<id> on the filled tracker answered ${p.status}`);
    const idle = rssBytes(t.proc.pid);
    const script = randomPathScript('/api/links/', ids);
    const rates: number[] = [];
    const peaks: number[] = [];
    const splits: RssSample[] = [];
    for (let r = 0; r < repeats; r++) {
      const s = new RssSampler(t.proc.pid).start();
      const w = await ctx.wrk.run({ url: t.url + '/', connections: IN_FLIGHT, durationS: duration, script });
      peaks.push(s.stop());
      splits.push(s.breakdown());
      if (w.errors) res.notes.push(`wrk counted ${w.errors} errors on /api/links.`);
      rates.push(w.requestsPerSec);
      ctx.log(`${kind.id}: GET /api/links ${withUnit(w.requestsPerSec, 'ops/s')}, tracker RSS ${withUnit(peaks.at(-1)!, 'MB')}`);
    }
    res.rows.push(
      row(`GET /api/links/<id> over HTTP at ${total} blobs, ${IN_FLIGHT} connections (wrk)`, 'ops/s', fig(rates)),
      row(`tracker RSS serving them (peak; ${withUnit(idle, 'MB')} idle after start)`, 'MB', fig(peaks)),
    );
    if (kind.id === 'index-pg') await twoTrackers(ctx, res, dir, secretFile, backend.spec, t.url, script, total, repeats, duration);
    const big = splits.reduce((a, b) => (b.rss > a.rss ? b : a));
    res.notes.push(`Tracker memory at its largest sample: ${withUnit(big.rss, 'MB')} resident, of which ${withUnit(big.anon, 'MB')} anonymous (heap, buffers) and ${withUnit(big.file, 'MB')} file-backed (pages of files the process maps, such as LevelDB tables), which the kernel can reclaim.`);
    res.notes.push(`HTTP lookups: wrk with a Lua script picking among ${ids.length.toLocaleString('en-US')} link ids, against \`node dist/tracker/main.js\` started on that store.`);
  } finally {
    await ctx.procs.stop(t.proc);
  }
}

/**
 * A second tracker on the same database beside the first: wrk against each
 * with half the connections at once, the two rates summed. On one machine
 * the trackers, PostgreSQL and wrk share the same cores, so this shows what
 * a second tracker costs or gains here, not what a second server would.
 */
async function twoTrackers(ctx: BenchContext, res: Parameters<Scenario['run']>[1], dir: string, secretFile: string, spec: string, firstUrl: string, script: string, count: string, repeats: number, duration: number): Promise<void> {
  const second = await startTracker(ctx.procs, ctx.root, join(dir, 'tracker-2'), secretFile, 'tracker 2 (index-pg)', ['--meta', spec]);
  try {
    const rates: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const runs = await Promise.all([firstUrl, second.url].map((url) => ctx.wrk!.run({ url: url + '/', connections: IN_FLIGHT / 2, durationS: duration, script })));
      for (const w of runs) if (w.errors) res.notes.push(`wrk counted ${w.errors} errors on /api/links with two trackers.`);
      rates.push(runs.reduce((sum, w) => sum + w.requestsPerSec, 0));
      ctx.log(`index-pg: GET /api/links through two trackers ${withUnit(rates.at(-1)!, 'ops/s')}`);
    }
    res.rows.push(row(`GET /api/links/<id> over HTTP at ${count} blobs, two trackers on one database, ${IN_FLIGHT / 2} connections each (wrk, summed)`, 'ops/s', fig(rates)));
  } finally {
    await ctx.procs.stop(second.proc);
  }
}

export const trackerIndex = indexScenario(levelKind);
export const trackerIndexPg = indexScenario(pgKind);
