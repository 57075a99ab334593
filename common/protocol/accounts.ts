// Accounts on the wire: who-am-I, API tokens, the admin's view of an
// account. docs/protocol.md has the routes; docs/tiers.md the rules.
import type { PointsAudit } from './rewards.js';
import type { Tier } from './tiers.js';
import type { LinkInfo } from './types.js';

/** The session cookie a browser holds after POST /api/account/login. */
export const SESSION_COOKIE = 'hoard_session';

/** The header that marks a cookie-signed state-changing request as sent by a script, not a cross-site form. */
export const CSRF_HEADER = 'x-hoard-csrf';

/** A tier's limits in bytes; null is no limit. */
export interface LimitsInfo {
  uploadSize: number | null;
  downloadSize: number | null;
  /** Most logical bytes the account may keep (null: none); not sent to anonymous callers, whose uploads belong to no account. */
  storage?: number | null;
}

/** GET /api/account: the caller. Anonymous callers get `tier: 'anonymous'` and their limits only. */
export interface AccountInfo {
  tier: Tier;
  id?: string;
  name?: string;
  /** ISO time premium ends (may be past: the account is free again). */
  premiumUntil?: string;
  created?: string;
  /** Logical bytes of the account's links. */
  usedBytes?: number;
  /** The tier's limits. */
  limits?: LimitsInfo;
  /** How the request was signed in. */
  via?: 'session' | 'token';
}

/** The admin's view (GET /internal/admin/users/NAME), with usage against quota. */
export interface UserInfo extends AccountInfo {
  id: string;
  name: string;
  /** The stored tier (premium is `premiumUntil` in the future). */
  accountTier: 'free' | 'admin';
  disabled: boolean;
  usedBytes: number;
  /** API tokens and sessions open. */
  tokens: number;
  sessions: number;
  /** Reward points, the balance checked against the ledger (GET /internal/admin/users/NAME only). */
  points?: PointsAudit;
}

export interface TokenInfo {
  id: string;
  name: string;
  created: string;
  expires: string;
}

/** POST /api/account/tokens, and POST /api/account/login with `token`: the token itself, shown once. */
export interface TokenCreated extends TokenInfo {
  token: string;
}

/** One of an account's files (GET /api/account/links): its link, and how many complete downloads it had (docs/web.md says what counts). */
export interface AccountLink extends LinkInfo {
  downloads: number;
}

/** GET /api/account/links: the account's files in link id order, a page at a time; `next` is the `after` of the next page, absent on the last. */
export interface AccountLinks {
  links: AccountLink[];
  next?: string;
}

/** Files per page of GET /api/account/links. */
export const ACCOUNT_LINKS_PAGE = 100;
