// Accounts on PostgreSQL: records as JSON beside the columns looked up in
// SQL (schema.ts, migration 2). An update reads its row FOR UPDATE inside a
// transaction, so updates from several trackers take turns on the row.
import type pg from 'pg';
import { isRecordId, type CredentialRecord, type PremiumKeyRecord, type UserRecord } from '../records.js';
import { decideRedeem } from '../rules.js';
import { StoreError, type AccountTable, type Page } from '../store.js';

const UNIQUE_VIOLATION = '23505';

function checkId(id: string, what: string): string {
  if (!isRecordId(id)) throw new TypeError(`invalid ${what} ${JSON.stringify(id)}`);
  return id;
}

/** Runs `fn` in a transaction on one connection; rolls back when it throws. */
export async function inTx<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let clean = false;
  try {
    await client.query('BEGIN');
    try {
      const v = await fn(client);
      await client.query('COMMIT');
      clean = true;
      return v;
    } catch (err) {
      await client.query('ROLLBACK').then(
        () => (clean = true),
        () => undefined,
      );
      throw err;
    }
  } finally {
    client.release(clean ? undefined : true);
  }
}

export async function conflictAs<T>(p: Promise<T>, message: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) throw new StoreError('CONFLICT', message);
    throw err;
  }
}

export function pgAccounts(pool: pg.Pool): AccountTable {
  const records = async <R>(name: string, text: string, values: unknown[]): Promise<R[]> =>
    (await pool.query<{ record: R }>({ name, text, values })).rows.map((r) => r.record);
  const paged = <R>(name: string, table: string, page: Page) =>
    page.after === undefined
      ? records<R>(name, `SELECT record FROM ${table} ORDER BY id LIMIT $1`, [page.limit])
      : records<R>(`${name}-after`, `SELECT record FROM ${table} WHERE id > $2 ORDER BY id LIMIT $1`, [page.limit, page.after]);
  const user = async (id: string) => (isRecordId(id) ? (await records<UserRecord>('user-get', 'SELECT record FROM users WHERE id = $1', [id]))[0] : undefined);
  const credential = async (id: string) =>
    isRecordId(id) ? (await records<CredentialRecord>('cred-get', 'SELECT record FROM credentials WHERE id = $1', [id]))[0] : undefined;
  const key = async (id: string) => (isRecordId(id) ? (await records<PremiumKeyRecord>('pkey-get', 'SELECT record FROM premium_keys WHERE id = $1', [id]))[0] : undefined);

  return {
    createUser: async (u) => {
      checkId(u.id, 'account id');
      checkId(u.name, 'account name');
      await conflictAs(
        pool.query({ name: 'user-create', text: 'INSERT INTO users (id, name, record) VALUES ($1, $2, $3::json)', values: [u.id, u.name, JSON.stringify(u)] }),
        `the account id or the name ${u.name} is taken`,
      );
    },
    user,
    userByName: async (name) =>
      isRecordId(name) ? (await records<UserRecord>('user-by-name', 'SELECT record FROM users WHERE name = $1', [name]))[0] : undefined,
    users: (page) => paged<UserRecord>('user-list', 'users', page),
    updateUser: (id, fn) =>
      isRecordId(id)
        ? inTx(pool, async (c) => {
            const r = await c.query<{ record: UserRecord }>('SELECT record FROM users WHERE id = $1 FOR UPDATE', [id]);
            const u = r.rows[0]?.record;
            if (!u) return undefined;
            const after = fn(u);
            if (after.id !== u.id || after.name !== u.name) throw new TypeError("an update may not change an account's id or name");
            await c.query('UPDATE users SET record = $2::json WHERE id = $1', [id, JSON.stringify(after)]);
            return after;
          })
        : Promise.resolve(undefined),
    deleteUser: (id) =>
      isRecordId(id)
        ? inTx(pool, async (c) => {
            const r = await c.query('DELETE FROM users WHERE id = $1', [id]);
            await c.query('DELETE FROM credentials WHERE user_id = $1', [id]);
            return (r.rowCount ?? 0) > 0;
          })
        : Promise.resolve(false),
    usage: async (id) =>
      isRecordId(id) ? ((await pool.query<{ used: string }>({ name: 'user-usage', text: 'SELECT used_bytes::text AS used FROM users WHERE id = $1', values: [id] })).rows.map((r) => Number(r.used))[0] ?? 0) : 0,

    putCredential: async (c) => {
      checkId(c.id, 'credential id');
      checkId(c.userId, 'account id');
      await pool.query({
        name: 'cred-put',
        text: 'INSERT INTO credentials (id, user_id, record) VALUES ($1, $2, $3::json) ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, record = excluded.record',
        values: [c.id, c.userId, JSON.stringify(c)],
      });
    },
    credential,
    credentialsOf: async (userId) =>
      isRecordId(userId) ? records<CredentialRecord>('cred-of', 'SELECT record FROM credentials WHERE user_id = $1 ORDER BY id', [userId]) : [],
    deleteCredential: async (id) => isRecordId(id) && ((await pool.query({ name: 'cred-del', text: 'DELETE FROM credentials WHERE id = $1', values: [id] })).rowCount ?? 0) > 0,

    createKey: async (k) => {
      checkId(k.id, 'key id');
      await conflictAs(
        pool.query({ name: 'pkey-create', text: 'INSERT INTO premium_keys (id, record) VALUES ($1, $2::json)', values: [k.id, JSON.stringify(k)] }),
        `key ${k.id} exists`,
      );
    },
    key,
    keys: (page) => paged<PremiumKeyRecord>('pkey-list', 'premium_keys', page),
    redeemKey: (keyId, userId, now) => {
      if (!isRecordId(keyId) || !isRecordId(userId)) return Promise.reject(new StoreError('NOT_FOUND', `no key ${keyId} or account ${userId}`));
      return inTx(pool, async (c) => {
        // Key first, then account: every redeem locks in this order.
        const k = (await c.query<{ record: PremiumKeyRecord }>('SELECT record FROM premium_keys WHERE id = $1 FOR UPDATE', [keyId])).rows[0]?.record;
        if (!k) throw new StoreError('NOT_FOUND', `no key ${keyId}`);
        const u = (await c.query<{ record: UserRecord }>('SELECT record FROM users WHERE id = $1 FOR UPDATE', [userId])).rows[0]?.record;
        if (!u) throw new StoreError('NOT_FOUND', `no account ${userId}`);
        const r = decideRedeem(u, k, now);
        await c.query('UPDATE premium_keys SET record = $2::json WHERE id = $1', [keyId, JSON.stringify(r.key)]);
        await c.query('UPDATE users SET record = $2::json WHERE id = $1', [userId, JSON.stringify(r.user)]);
        return r;
      });
    },
  };
}
