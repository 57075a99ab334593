// Group commit on PostgreSQL: transactions waiting at the same moment run
// together in one database transaction (one BEGIN taking every key's lock,
// their reads in shared round trips, all their writes with one COMMIT), so
// many commits share one round trip and one WAL flush instead of paying one
// each. Every transaction still gets its own result: one whose `fn` throws
// is left out of the writes; when the group's writes fail (a record that
// another key created meanwhile, an account over its limit, a deadlock with
// another tracker), the group is rolled back and each of its transactions
// runs again alone, so one failing transaction takes none of the others
// with it and each gets the answer it would have had alone.
import type pg from 'pg';
import { addCounters, counterDelta } from '../counters.js';
import { zeroCounters } from '../records.js';
import type { MetaTx } from '../store.js';
import type { TxRecords } from '../tx-records.js';
import { isPgOutage } from './connection.js';
import { LOCK_CLASS, lockNumber } from './locks.js';
import { ReadBatch, counterSql, pgTx, recordSql, usageSql } from './transaction.js';

export interface GroupCommitDeps {
  pool: pg.Pool;
  shardOf(client: pg.PoolClient): number;
  /** One transaction in a database transaction of its own (a group of one, and the way back from a failed group). */
  alone<T>(lockKey: string, fn: (tx: MetaTx) => Promise<T>, sync: boolean): Promise<T>;
  /** Groups in flight at once, each on a connection of its own. */
  groups: number;
  /** Transactions in one group at most. */
  size: number;
}

interface Member {
  lockKey: string;
  fn: (tx: MetaTx) => Promise<unknown>;
  sync: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const byUser = (a: { userId: string }, b: { userId: string }) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);

export class GroupCommit {
  private pending: Member[] = [];
  private running = 0;
  private armed = false;

  constructor(private readonly deps: GroupCommitDeps) {}

  /** Runs `fn` in the next group; the caller holds the key's in-process lock meanwhile. */
  run<T>(lockKey: string, fn: (tx: MetaTx) => Promise<T>, sync: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ lockKey, fn, sync, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /**
   * Starts a group on the next turn of the event loop, so that transactions
   * arriving together go together. Several groups are in flight at once (one
   * reads while another waits for its flush); a group that ends starts the
   * next with whatever waits by then.
   */
  private schedule(): void {
    if (this.armed || this.running >= this.deps.groups || this.pending.length === 0) return;
    this.armed = true;
    setImmediate(() => {
      this.armed = false;
      if (this.running >= this.deps.groups || this.pending.length === 0) return;
      const group = this.pending.splice(0, this.deps.size);
      this.running++;
      void this.runGroup(group).finally(() => {
        this.running--;
        this.schedule();
      });
      this.schedule();
    });
  }

  private async runGroup(group: Member[]): Promise<void> {
    if (group.length === 1) {
      const m = group[0]!;
      return this.deps.alone(m.lockKey, m.fn, m.sync).then(m.resolve, m.reject);
    }
    let client: pg.PoolClient;
    try {
      client = await this.deps.pool.connect();
    } catch (err) {
      for (const m of group) m.reject(err);
      return;
    }
    const answered = new Set<Member>();
    const answer = (m: Member, settle: () => void) => {
      answered.add(m);
      settle();
    };
    let again: Member[] = [];
    // A connection goes back to the pool only once it is known to be out of any transaction.
    let clean = false;
    try {
      const sync = group.some((m) => m.sync);
      // Locks in one order everywhere, so two groups (of two trackers) never wait for each other in a circle.
      const locks = [...new Set(group.map((m) => lockNumber(m.lockKey)))].sort((a, b) => a - b);
      await client.query(
        ['BEGIN', ...(sync ? [] : ['SET LOCAL synchronous_commit = off']), ...locks.map((n) => `SELECT pg_advisory_xact_lock(${LOCK_CLASS.transaction}, ${n})`)].join('; '),
      );
      const batch = new ReadBatch(client, { gather: true });
      const runs = await Promise.allSettled(
        group.map(async (m) => {
          const tx = pgTx(batch);
          return { tx, value: await m.fn(tx) };
        }),
      );
      // A failed read aborted the database transaction under every member: their errors may be that one's.
      if (batch.failed) throw runs.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason ?? new Error('a read of the group failed');
      const done: Array<{ m: Member; tx: TxRecords; value: unknown }> = [];
      runs.forEach((r, i) => {
        const m = group[i]!;
        if (r.status === 'fulfilled') done.push({ m, ...r.value });
        else answer(m, () => m.reject(r.reason));
      });
      const outcomes = done.map((d) => d.tx.outcome());
      const counted = outcomes.reduce((sum, o) => addCounters(sum, counterDelta(o.counted)), zeroCounters());
      const sql = [
        ...outcomes.flatMap(recordSql),
        ...usageSql(outcomes.flatMap((o) => o.usage).sort(byUser)),
        ...counterSql(counted, this.deps.shardOf(client)),
        'COMMIT',
      ];
      await client.query(sql.join(';\n'));
      clean = true;
      for (const d of done) answer(d.m, () => d.m.resolve(d.value));
    } catch (err) {
      await client.query('ROLLBACK').then(
        () => (clean = true),
        () => undefined,
      );
      const left = group.filter((m) => !answered.has(m));
      // The database cannot be reached: each would fail alone as well (and a COMMIT cut off may or may not have landed).
      if (isPgOutage(err)) for (const m of left) m.reject(err);
      else again = left;
    } finally {
      client.release(clean ? undefined : true);
    }
    await Promise.all(again.map((m) => this.deps.alone(m.lockKey, m.fn, m.sync).then(m.resolve, m.reject)));
  }
}
