// The ledger's rules, written once for every back end: whether a point is
// added (one per id, at most the daily cap per uploader and day), and what a
// redemption does to an account (its premium extended, its points spent).
import type { UserRecord } from './records.js';
import type { AwardOutcome, RedemptionRecord, RewardBalance } from './reward-records.js';
import { StoreError } from './store.js';

export interface AwardState {
  /** The uploader's account exists. */
  account: boolean;
  /** A point with this id exists already. */
  exists: boolean;
  /** Points the uploader earned on the point's day so far. */
  today: number;
}

export function decideAward(s: AwardState, dailyCap: number): AwardOutcome {
  if (!s.account) return 'no-account';
  if (s.exists) return 'duplicate';
  if (s.today >= dailyCap) return 'capped';
  return 'awarded';
}

const DAY_MS = 86_400_000;

/** What a redemption asks: `points` for `days` of premium, at `at` (ISO), under a fresh time-sorted id. */
export type RedemptionAsk = Omit<RedemptionRecord, 'premiumUntil'>;

/**
 * The account extended by the redemption's days (added to what is left of
 * its premium, or from now), the record, and the balance after. StoreError
 * QUOTA when the balance is short.
 */
export function decideRedemption(user: UserRecord, balance: RewardBalance, ask: RedemptionAsk): { user: UserRecord; redemption: RedemptionRecord; balance: RewardBalance } {
  if (balance.earned - balance.spent < ask.points) throw new StoreError('QUOTA', `account ${user.id} has ${balance.earned - balance.spent} points, ${ask.points} asked`);
  const from = Math.max(Date.parse(ask.at), user.premiumUntil === undefined ? 0 : Date.parse(user.premiumUntil));
  const premiumUntil = new Date(from + ask.days * DAY_MS).toISOString();
  return { user: { ...user, premiumUntil }, redemption: { ...ask, premiumUntil }, balance: { earned: balance.earned, spent: balance.spent + ask.points } };
}
