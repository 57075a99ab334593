// The reward ledger on LevelDB (keys.ts): an uploader's awards take turns on
// a lock of their own; a redemption takes it too, then the accounts lock for
// the premium extension, and writes record, balance and account in one batch.
import type { UserRecord } from '../records.js';
import type { PointRecord, RedemptionRecord, RewardBalance } from '../reward-records.js';
import { decideAward, decideRedemption } from '../reward-rules.js';
import { StoreError, type Page, type RewardTable } from '../store.js';
import { isKeyPart, keys, part, ranges } from './keys.js';
import type { Op } from './transaction.js';

export interface LevelRewardDeps {
  get<T>(key: string): Promise<T | undefined>;
  values<T>(prefix: string, page: Page): Promise<T[]>;
  /** Runs `fn` with others of `key` held off. */
  locked<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** The lock account writes take turns on. */
  accountsLock: string;
  /** A batch, synced, in the order of the store's other writes. */
  write(ops: Op[]): Promise<void>;
}

const ZERO: RewardBalance = { earned: 0, spent: 0 };

export function levelRewards(d: LevelRewardDeps): RewardTable {
  const rewardLock = (userId: string) => `\0rewards:${userId}`;
  const balance = async (userId: string): Promise<RewardBalance> => (isKeyPart(userId) ? ((await d.get<RewardBalance>(keys.rewardBalance(userId))) ?? { ...ZERO }) : { ...ZERO });
  return {
    award: (p: PointRecord, dailyCap: number) => {
      part(p.id);
      part(p.uploader);
      part(p.day);
      return d.locked(rewardLock(p.uploader), async () => {
        const [account, exists, today, bal] = await Promise.all([
          d.get<UserRecord>(keys.user(p.uploader)),
          d.get<string>(keys.pointId(p.id)),
          d.get<number>(keys.pointsOfDay(p.uploader, p.day)),
          balance(p.uploader),
        ]);
        const outcome = decideAward({ account: account !== undefined, exists: exists !== undefined, today: today ?? 0 }, dailyCap);
        if (outcome !== 'awarded') return outcome;
        await d.write([
          { type: 'put', key: keys.point(p.uploader, p.day, p.id), value: p },
          { type: 'put', key: keys.pointId(p.id), value: p.uploader },
          { type: 'put', key: keys.pointsOfDay(p.uploader, p.day), value: (today ?? 0) + 1 },
          { type: 'put', key: keys.rewardBalance(p.uploader), value: { ...bal, earned: bal.earned + 1 } },
        ]);
        return outcome;
      });
    },
    points: async (userId, page) => (isKeyPart(userId) ? d.values<PointRecord>(ranges.pointsOf(userId), page) : []),
    redemptions: async (userId, page) => (isKeyPart(userId) ? d.values<RedemptionRecord>(ranges.redemptionsOf(userId), page) : []),
    balance,
    redeem: (ask) => {
      if (!isKeyPart(ask.userId)) return Promise.reject(new StoreError('NOT_FOUND', `no account ${ask.userId}`));
      part(ask.id);
      return d.locked(rewardLock(ask.userId), () =>
        d.locked(d.accountsLock, async () => {
          const [user, taken, bal] = await Promise.all([d.get<UserRecord>(keys.user(ask.userId)), d.get(keys.redemption(ask.userId, ask.id)), balance(ask.userId)]);
          if (!user) throw new StoreError('NOT_FOUND', `no account ${ask.userId}`);
          if (taken !== undefined) throw new StoreError('CONFLICT', `redemption ${ask.id} exists`);
          const r = decideRedemption(user, bal, ask);
          await d.write([
            { type: 'put', key: keys.redemption(ask.userId, ask.id), value: r.redemption },
            { type: 'put', key: keys.rewardBalance(ask.userId), value: r.balance },
            { type: 'put', key: keys.user(ask.userId), value: r.user },
          ]);
          return r;
        }),
      );
    },
    restore: (r) => {
      part(r.id);
      part(r.userId);
      return d.locked(rewardLock(r.userId), async () => {
        const [user, taken, bal] = await Promise.all([d.get<UserRecord>(keys.user(r.userId)), d.get(keys.redemption(r.userId, r.id)), balance(r.userId)]);
        if (!user) throw new StoreError('NOT_FOUND', `no account ${r.userId}`);
        if (taken !== undefined) return false;
        await d.write([
          { type: 'put', key: keys.redemption(r.userId, r.id), value: r },
          { type: 'put', key: keys.rewardBalance(r.userId), value: { ...bal, spent: bal.spent + r.points } },
        ]);
        return true;
      });
    },
  };
}
