// Reward points on the wire (docs/rewards.md): an account's balance and its
// ledger, and what a redemption of points for premium days gives.

/** One point as its uploader sees it (the downloader's address is kept only hashed, and not shown). */
export interface PointInfo {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** ISO time the download was counted. */
  at: string;
  /** The link downloaded. */
  link: string;
  /** The downloader's country (ISO 3166). */
  country: string;
}

export interface RedemptionInfo {
  at: string;
  points: number;
  days: number;
  /** The premium end the redemption left. */
  premiumUntil: string;
}

/** GET /api/account/points. */
export interface PointsInfo {
  /** earned − spent. */
  balance: number;
  earned: number;
  spent: number;
  /** Points one premium day costs. */
  pointsPerDay: number;
  /** Most points an uploader earns per UTC day. */
  dailyCap: number;
  /** Whether downloads earn points on this cluster. */
  on: boolean;
  /** One page of the ledger, oldest first. */
  points: PointInfo[];
  /** The `after` of the next page, when there is one. */
  next?: string;
  redemptions: RedemptionInfo[];
}

/** POST /api/account/points/redeem {days}. */
export interface PointsRedeemed {
  days: number;
  points: number;
  premiumUntil: string;
  balance: number;
}

/** Points per ledger page. */
export const POINTS_PAGE = 100;

/** An account's balance checked against its ledger (GET /internal/admin/users/NAME, hoard-admin users show). */
export interface PointsAudit {
  /** As kept beside the ledger. */
  earned: number;
  spent: number;
  balance: number;
  /** Recomputed from the records: the points, and the points the redemptions spent. */
  ledgerEarned: number;
  ledgerSpent: number;
  /** Both agree. */
  agrees: boolean;
}
