// The download policy of each tier, as pure functions of typed settings and
// a clock reading: the rate a download may use, whether its caller downloads
// one file at a time, and the happy hour that lifts both. The tracker signs
// the outcome into the node URL (DownloadClaims); nodes apply it from there
// and their own clock. docs/tiers.md has the rules.
import { isTier, type Tier } from './tiers.js';

/** A recurring window: minutes after 00:00 UTC, on the listed weekdays (0 = Sunday). */
export interface HappyHour {
  /** Minutes after midnight UTC, 0..1439. */
  startMin: number;
  /** Minutes after midnight UTC, 1..1440; at or before startMin, the window ends the next day. */
  endMin: number;
  /** Weekdays of the window's start (0 = Sunday … 6 = Saturday). */
  days: readonly number[];
}

export interface DownloadPolicy {
  /** Bytes/s a download of each limited tier may use (0 = unthrottled). */
  rates: { anonymous: number; free: number };
  /** Tiers limited to one file at a time (anonymous and free by default; premium and admin never). */
  oneAtATime: readonly Tier[];
  /** Off when undefined. */
  happyHour: HappyHour | undefined;
  /** Tiers the happy hour lifts. */
  happyTiers: readonly Tier[];
}

export interface TierLimits {
  /** Bytes/s, 0 = unthrottled. */
  rate: number;
  /** One file at a time, cluster-wide (a download lease). */
  oneAtATime: boolean;
}

/** Premium and admin: unthrottled, any number of files at once. */
const UNLIMITED: TierLimits = { rate: 0, oneAtATime: false };

/** What a tier may do outside (or inside, with `happy`) the happy hour. */
export function tierLimits(policy: DownloadPolicy, tier: Tier, happy: boolean): TierLimits {
  if (tier === 'premium' || tier === 'admin') return UNLIMITED;
  if (happy && policy.happyTiers.includes(tier)) return UNLIMITED;
  return { rate: policy.rates[tier], oneAtATime: policy.oneAtATime.includes(tier) };
}

export interface Window {
  /** Unix ms. */
  start: number;
  /** Unix ms, exclusive. */
  end: number;
}

export interface HappyHourState {
  on: boolean;
  /** The window now running (on) or the next one; undefined when the schedule has no day. */
  window: Window | undefined;
}

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;

/**
 * Whether the happy hour runs at `nowMs`, and the window: the one running
 * (windows that touch are one window, so a 24-hour schedule is one long
 * window), else the next one to start.
 */
export function happyHourAt(h: HappyHour | undefined, nowMs: number): HappyHourState {
  if (!h || h.days.length === 0) return { on: false, window: undefined };
  const midnight = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const len = (h.endMin > h.startMin ? h.endMin - h.startMin : h.endMin + 1440 - h.startMin) * MIN_MS;
  // From yesterday's window (it may run past midnight) to the same weekday next week.
  const windows: Window[] = [];
  for (let d = -1; d <= 8; d++) {
    const dayStart = midnight + d * DAY_MS;
    if (!h.days.includes(new Date(dayStart).getUTCDay())) continue;
    const start = dayStart + h.startMin * MIN_MS;
    const last = windows.at(-1);
    if (last && start <= last.end) last.end = Math.max(last.end, start + len);
    else windows.push({ start, end: start + len });
  }
  const running = windows.find((w) => w.start <= nowMs && nowMs < w.end);
  if (running) return { on: true, window: running };
  return { on: false, window: windows.find((w) => w.start > nowMs) };
}

/** True when `nowMs` falls in the signed window (a node's check, by its own clock). */
export const inWindow = (w: Window | undefined, nowMs: number): boolean => w !== undefined && w.start <= nowMs && nowMs < w.end;

// ---- the claims a download URL carries ----

/** Query parameters of the download policy in a signed node URL. */
export const CLAIM_PARAMS = { tier: 'tier', rate: 'rate', lease: 'lease', happy: 'hh', download: 'dl' } as const;

/** A download lease id: 128 random bits, base64url. */
export const LEASE_ID_RE = /^[A-Za-z0-9_-]{22}$/;

export interface DownloadClaims {
  tier: Tier;
  /** Bytes/s outside the happy window, 0 = unthrottled. */
  rate: number;
  /** The caller's download lease ('' when the tier downloads freely). */
  lease: string;
  /** The happy hour window that lifts this download's limits (undefined when none applies). */
  happy: Window | undefined;
  /**
   * The download's identity: nodes report the bytes they serve under it, and
   * the tracker counts the download once they cover the whole file (reward
   * points, docs/rewards.md). Absent on URLs that count nothing.
   */
  download?: string;
}

/** The window as signed: `<start>-<end>` in unix seconds, '' for none. */
export function formatWindow(w: Window | undefined): string {
  return w ? `${Math.floor(w.start / 1000)}-${Math.floor(w.end / 1000)}` : '';
}

/** The window a URL carries; undefined for '' and null for a malformed value. */
export function parseWindow(raw: string): Window | undefined | null {
  if (raw === '') return undefined;
  const m = /^(\d{1,12})-(\d{1,12})$/.exec(raw);
  if (!m) return null;
  const start = Number(m[1]) * 1000;
  const end = Number(m[2]) * 1000;
  return end > start ? { start, end } : null;
}

/** The one string the signature covers: every claim, in a fixed order. */
export function claimsText(c: DownloadClaims): string {
  const text = [c.tier, String(c.rate), c.lease, formatWindow(c.happy)].join(' ');
  return c.download ? `${text} ${c.download}` : text;
}

/** The rate that applies at `nowMs`: the signed rate, or none inside the signed happy window. */
export const effectiveRate = (c: DownloadClaims, nowMs: number): number => (inWindow(c.happy, nowMs) ? 0 : c.rate);

/** The tier whose uplink weight a download gets at `nowMs`: premium's inside the signed happy window. */
export const weightTier = (c: DownloadClaims, nowMs: number): Tier => (inWindow(c.happy, nowMs) ? 'premium' : c.tier);

/**
 * The claims of a download URL: undefined when it carries none (copies
 * between nodes, URLs signed before tiers), null when they are malformed
 * (refused as TOKEN_INVALID, as a bad signature is).
 */
export function claimsOf(q: URLSearchParams): DownloadClaims | undefined | null {
  const tier = q.get(CLAIM_PARAMS.tier);
  const rate = q.get(CLAIM_PARAMS.rate);
  const lease = q.get(CLAIM_PARAMS.lease) ?? '';
  const happy = parseWindow(q.get(CLAIM_PARAMS.happy) ?? '');
  const download = q.get(CLAIM_PARAMS.download) ?? '';
  if (tier === null && rate === null && lease === '' && happy === undefined && download === '') return undefined;
  if (!isTier(tier) || rate === null || !/^(0|[1-9]\d{0,14})$/.test(rate) || (lease !== '' && !LEASE_ID_RE.test(lease)) || happy === null) return null;
  if (download !== '' && !LEASE_ID_RE.test(download)) return null;
  return download === '' ? { tier, rate: Number(rate), lease, happy } : { tier, rate: Number(rate), lease, happy, download };
}
