// The reward ledger's records (docs/rewards.md): a point per counted
// download and a redemption per exchange of points for premium days, both
// only ever added, so every balance can be recomputed from them.

/**
 * One point, earned by `uploader` when a download of their file counted.
 * The id is derived from (uploader, blob, ipHash, day) (tracker/rewards/ledger-ids.ts):
 * a second download of the same file from the same address that day is the same point.
 */
export interface PointRecord {
  id: string;
  /** The account credited. */
  uploader: string;
  blobId: string;
  /** The link the download came through. */
  linkId: string;
  /** Keyed hash of the downloader's address (the address itself is not kept). */
  ipHash: string;
  /** ISO 3166 code of the downloader's country. */
  country: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** ISO time the download was counted. */
  at: string;
  /** The downloader's account, when signed in. */
  downloader?: string;
}

/** Points exchanged for premium days; `premiumUntil` is the account's premium end it left. */
export interface RedemptionRecord {
  /** Sorts by time (tracker/rewards/ledger-ids.ts). */
  id: string;
  userId: string;
  points: number;
  days: number;
  at: string;
  premiumUntil: string;
}

/** Points an account earned and spent, as kept beside the ledger (recomputable from it). */
export interface RewardBalance {
  earned: number;
  spent: number;
}

/** What an award came to: a new point, the same point again, the uploader's daily cap reached, or no such account. */
export type AwardOutcome = 'awarded' | 'duplicate' | 'capped' | 'no-account';

/** Paging key of an uploader's points: day, then id. */
export const pointKey = (p: Pick<PointRecord, 'day' | 'id'>): string => `${p.day}:${p.id}`;
