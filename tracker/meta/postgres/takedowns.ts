// Takedown notices and the audit log on PostgreSQL (schema.ts, migration 5):
// records as JSON beside the columns looked up in SQL. An update reads its
// row FOR UPDATE inside a transaction, so trackers' updates take turns.
import type pg from 'pg';
import { isRecordId, type AuditRecord, type TakedownRecord } from '../records.js';
import { checkTakedownUpdate, isInForce } from '../rules.js';
import { StoreError, type AuditLog, type Page, type TakedownTable } from '../store.js';
import { inTx } from './accounts.js';

const UNIQUE_VIOLATION = '23505';

function checkIds(...ids: string[]): void {
  for (const id of ids) if (!isRecordId(id)) throw new TypeError(`invalid id ${JSON.stringify(id)}`);
}

async function conflictAs(p: Promise<unknown>, message: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) throw new StoreError('CONFLICT', message);
    throw err;
  }
}

async function records<R>(pool: pg.Pool, name: string, text: string, values: unknown[]): Promise<R[]> {
  return (await pool.query<{ record: R }>({ name, text, values })).rows.map((r) => r.record);
}

function paged<R>(pool: pg.Pool, name: string, table: string, page: Page): Promise<R[]> {
  return page.after === undefined
    ? records<R>(pool, name, `SELECT record FROM ${table} ORDER BY id LIMIT $1`, [page.limit])
    : records<R>(pool, `${name}-after`, `SELECT record FROM ${table} WHERE id > $2 ORDER BY id LIMIT $1`, [page.limit, page.after]);
}

export function pgTakedowns(pool: pg.Pool): TakedownTable {
  const get = async (id: string) => (isRecordId(id) ? (await records<TakedownRecord>(pool, 'td-get', 'SELECT record FROM takedowns WHERE id = $1', [id]))[0] : undefined);
  return {
    create: async (n) => {
      checkIds(n.id, n.target, ...n.uploaders);
      await conflictAs(
        pool.query({
          name: 'td-create',
          text: 'INSERT INTO takedowns (in_force, id, scope, target, uploaders, record) VALUES ($1, $2, $3, $4, $5, $6::json)',
          values: [isInForce(n), n.id, n.scope, n.target, n.uploaders, JSON.stringify(n)],
        }),
        `notice ${n.id} exists`,
      );
    },
    get,
    list: (page) => paged<TakedownRecord>(pool, 'td-list', 'takedowns', page),
    inForce: async (targets) => {
      const ok = targets.filter((t) => isRecordId(t.target));
      if (ok.length === 0) return [];
      return records<TakedownRecord>(
        pool,
        'td-in-force',
        'SELECT t.record FROM takedowns t JOIN unnest($1::text[], $2::text[]) AS q(scope, target) ON t.scope = q.scope AND t.target = q.target WHERE t.in_force ORDER BY t.id',
        [ok.map((t) => t.scope), ok.map((t) => t.target)],
      );
    },
    update: (id, fn) =>
      isRecordId(id)
        ? inTx(pool, async (c) => {
            const before = (await c.query<{ record: TakedownRecord }>('SELECT record FROM takedowns WHERE id = $1 FOR UPDATE', [id])).rows[0]?.record;
            if (!before) return undefined;
            const after = checkTakedownUpdate(before, fn(before));
            await c.query('UPDATE takedowns SET in_force = $2, record = $3::json WHERE id = $1', [id, isInForce(after), JSON.stringify(after)]);
            return after;
          })
        : Promise.resolve(undefined),
    strikes: async (userId) =>
      isRecordId(userId)
        ? Number((await pool.query<{ n: string }>({ name: 'td-strikes', text: 'SELECT count(*)::text AS n FROM takedowns WHERE in_force AND uploaders @> ARRAY[$1::text]', values: [userId] })).rows[0]!.n)
        : 0,
  };
}

export function pgAudit(pool: pg.Pool): AuditLog {
  return {
    append: async (a: AuditRecord) => {
      checkIds(a.id);
      await conflictAs(pool.query({ name: 'audit-append', text: 'INSERT INTO audit_log (id, record) VALUES ($1, $2::json)', values: [a.id, JSON.stringify(a)] }), `audit entry ${a.id} exists`);
    },
    list: (page) => paged<AuditRecord>(pool, 'audit-list', 'audit_log', page),
  };
}
