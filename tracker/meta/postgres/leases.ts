// Worker leases on PostgreSQL: a session advisory lock per lease, taken with
// pg_try_advisory_lock on one connection of this tracker's own, outside the
// pool, and never released while the tracker lives. PostgreSQL ends the lock
// with the session: a tracker killed (its socket closes) or cut off (the
// server's TCP keepalive gives up on it) loses its leases, and the next
// tracker to try takes them. Who holds what is read from pg_locks, with the
// holder's name in its session's application_name.
import pg from 'pg';
import type { LeaseBook } from '../store.js';
import { LOCK_CLASS, lockNumber } from './locks.js';

/** application_name is cut at 63 bytes by the server; the prefix marks hoard's lease sessions. */
const PREFIX = 'hoard-lease ';

export class PgLeases implements LeaseBook {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly held = new Set<string>();
  private closed = false;
  /** Queries on the lease session, one at a time (node-postgres queues them itself, but warns). */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly pool: pg.Pool,
  ) {}

  async hold(name: string, holder: string): Promise<boolean> {
    if (this.closed) return false;
    const step = this.turn.then(async () => {
      const c = await this.connect(holder);
      if (this.held.has(name)) {
        // Still ours only while the session lives: a round trip proves it does.
        await c.query('SELECT 1');
        return this.held.has(name);
      }
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_CLASS.lease, lockNumber(name)]);
      if (r.rows[0]?.ok && this.client === c) this.held.add(name);
      return this.held.has(name);
    });
    this.turn = step.catch(() => undefined);
    return step;
  }

  async holders(names: readonly string[]): Promise<Map<string, string>> {
    // objid is the lock's second key as an unsigned oid.
    const byNumber = new Map(names.map((n) => [lockNumber(n) >>> 0, n]));
    const r = await this.pool.query<{ num: number; who: string | null }>(
      `SELECT l.objid::int8 AS num, a.application_name AS who FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid::int8 = $1`,
      [LOCK_CLASS.lease],
    );
    const out = new Map<string, string>();
    for (const row of r.rows) {
      const name = byNumber.get(Number(row.num));
      if (name !== undefined) out.set(name, row.who?.startsWith(PREFIX) ? row.who.slice(PREFIX.length) : (row.who ?? 'unknown'));
    }
    return out;
  }

  /** Ends the lease session: every lease held here is free for the others at once. */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.client ?? (await this.connecting?.catch(() => undefined));
    this.drop();
    await c?.end().catch(() => undefined);
  }

  private connect(holder: string): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const c = new pg.Client({ ...this.config, application_name: (PREFIX + holder).slice(0, 63), keepAlive: true });
      // A broken session has lost its locks: forget them, and connect again at the next try.
      const lost = () => {
        if (this.client === c) this.drop();
      };
      c.on('error', lost);
      c.on('end', lost);
      try {
        await c.connect();
      } catch (err) {
        this.connecting = undefined;
        throw err;
      }
      this.client = c;
      this.connecting = undefined;
      return c;
    })();
    return this.connecting;
  }

  private drop(): void {
    this.client = undefined;
    this.held.clear();
  }
}
