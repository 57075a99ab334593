// The reward ledger on PostgreSQL (schema.ts, migration 4): points and
// redemptions as JSON beside their looked-up columns, balances on the
// account's row. An award or a redemption locks that row first, so the
// daily cap, the balance and the premium extension are decided in one step
// by one tracker at a time.
import type pg from 'pg';
import { isRecordId, type UserRecord } from '../records.js';
import type { PointRecord, RedemptionRecord, RewardBalance } from '../reward-records.js';
import { decideAward, decideRedemption } from '../reward-rules.js';
import { StoreError, type Page, type RewardTable } from '../store.js';
import { conflictAs, inTx } from './accounts.js';

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

interface BalanceRow {
  record: UserRecord;
  earned: string;
  spent: string;
}

export function pgRewards(pool: pg.Pool): RewardTable {
  const records = async <R>(name: string, text: string, values: unknown[]): Promise<R[]> =>
    (await pool.query<{ record: R }>({ name, text, values })).rows.map((r) => r.record);
  const lockAccount = async (c: pg.PoolClient, id: string) =>
    (await c.query<BalanceRow>('SELECT record, points_earned::text AS earned, points_spent::text AS spent FROM users WHERE id = $1 FOR UPDATE', [id])).rows[0];
  const balanceOf = (r: BalanceRow): RewardBalance => ({ earned: Number(r.earned), spent: Number(r.spent) });

  return {
    award: (p: PointRecord, dailyCap: number) => {
      if (!isRecordId(p.id) || !isRecordId(p.uploader) || !DAY_RE.test(p.day)) return Promise.reject(new TypeError(`invalid point ${JSON.stringify(p.id)}`));
      return inTx(pool, async (c) => {
        const account = await lockAccount(c, p.uploader);
        const exists = account ? (await c.query('SELECT 1 FROM reward_points WHERE id = $1', [p.id])).rows.length > 0 : false;
        const today = account ? Number((await c.query<{ n: string }>('SELECT count(*)::text AS n FROM reward_points WHERE uploader = $1 AND day = $2', [p.uploader, p.day])).rows[0]!.n) : 0;
        const outcome = decideAward({ account: account !== undefined, exists, today }, dailyCap);
        if (outcome !== 'awarded') return outcome;
        await c.query('INSERT INTO reward_points (id, uploader, day, record) VALUES ($1, $2, $3, $4::json)', [p.id, p.uploader, p.day, JSON.stringify(p)]);
        await c.query('UPDATE users SET points_earned = points_earned + 1 WHERE id = $1', [p.uploader]);
        return outcome;
      });
    },
    points: async (userId, page: Page) => {
      if (!isRecordId(userId)) return [];
      if (page.after === undefined) {
        return records<PointRecord>('points-of', 'SELECT record FROM reward_points WHERE uploader = $1 ORDER BY day, id LIMIT $2', [userId, page.limit]);
      }
      const cut = page.after.indexOf(':');
      const [day, id] = cut < 0 ? [page.after, ''] : [page.after.slice(0, cut), page.after.slice(cut + 1)];
      return records<PointRecord>('points-of-after', 'SELECT record FROM reward_points WHERE uploader = $1 AND (day, id) > ($3, $4) ORDER BY day, id LIMIT $2', [userId, page.limit, day, id]);
    },
    redemptions: async (userId, page: Page) => {
      if (!isRecordId(userId)) return [];
      return page.after === undefined
        ? records<RedemptionRecord>('redemptions-of', 'SELECT record FROM reward_redemptions WHERE user_id = $1 ORDER BY id LIMIT $2', [userId, page.limit])
        : records<RedemptionRecord>('redemptions-of-after', 'SELECT record FROM reward_redemptions WHERE user_id = $1 AND id > $3 ORDER BY id LIMIT $2', [userId, page.limit, page.after]);
    },
    balance: async (userId) => {
      if (!isRecordId(userId)) return { earned: 0, spent: 0 };
      const r = (await pool.query<{ earned: string; spent: string }>({ name: 'points-balance', text: 'SELECT points_earned::text AS earned, points_spent::text AS spent FROM users WHERE id = $1', values: [userId] })).rows[0];
      return r ? { earned: Number(r.earned), spent: Number(r.spent) } : { earned: 0, spent: 0 };
    },
    redeem: (ask) => {
      if (!isRecordId(ask.userId)) return Promise.reject(new StoreError('NOT_FOUND', `no account ${ask.userId}`));
      if (!isRecordId(ask.id)) return Promise.reject(new TypeError(`invalid redemption id ${JSON.stringify(ask.id)}`));
      return inTx(pool, async (c) => {
        const account = await lockAccount(c, ask.userId);
        if (!account) throw new StoreError('NOT_FOUND', `no account ${ask.userId}`);
        const r = decideRedemption(account.record, balanceOf(account), ask);
        await conflictAs(
          c.query('INSERT INTO reward_redemptions (user_id, id, record) VALUES ($1, $2, $3::json)', [ask.userId, ask.id, JSON.stringify(r.redemption)]),
          `redemption ${ask.id} exists`,
        );
        await c.query('UPDATE users SET record = $2::json, points_spent = $3 WHERE id = $1', [ask.userId, JSON.stringify(r.user), r.balance.spent]);
        return r;
      });
    },
    restore: (r) => {
      if (!isRecordId(r.userId)) return Promise.reject(new StoreError('NOT_FOUND', `no account ${r.userId}`));
      if (!isRecordId(r.id)) return Promise.reject(new TypeError(`invalid redemption id ${JSON.stringify(r.id)}`));
      return inTx(pool, async (c) => {
        if (!(await lockAccount(c, r.userId))) throw new StoreError('NOT_FOUND', `no account ${r.userId}`);
        const added = await c.query('INSERT INTO reward_redemptions (user_id, id, record) VALUES ($1, $2, $3::json) ON CONFLICT DO NOTHING', [r.userId, r.id, JSON.stringify(r)]);
        if ((added.rowCount ?? 0) === 0) return false;
        await c.query('UPDATE users SET points_spent = points_spent + $2 WHERE id = $1', [r.userId, r.points]);
        return true;
      });
    },
  };
}
