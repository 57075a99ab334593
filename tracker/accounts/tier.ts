// An account's tier as it stands at a given time: admins are admins, premium
// is an expiry date (past it the account is free again, nothing to undo).
import type { Tier } from '../../common/protocol/tiers.js';
import type { UserRecord } from '../meta/store.js';

export function tierOf(user: Pick<UserRecord, 'tier' | 'premiumUntil'>, nowMs: number): Exclude<Tier, 'anonymous'> {
  if (user.tier === 'admin') return 'admin';
  if (user.premiumUntil !== undefined && Date.parse(user.premiumUntil) > nowMs) return 'premium';
  return 'free';
}
