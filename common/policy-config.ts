// Config fields of the download policy, shared by the tracker (rates, happy
// hour, leases) and the nodes (uplink weights, the test clock).
import { ConfigError, type Field } from './config.js';
import type { HappyHour } from './protocol/download-policy.js';
import { isTier, TIERS, type Tier } from './protocol/tiers.js';

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/**
 * A field kept as its text once `check` accepts it (defaults are text too,
 * as docs/config.md shows them); the daemon's compose turns it into its
 * typed value with the same function.
 */
const checked = (doc: string, def: string, check: (v: string, key: string) => unknown): Field<string> => ({
  doc,
  default: def,
  parse(raw, key) {
    const v = String(raw).trim();
    check(v, key);
    return v;
  },
});

/** HH:MM-HH:MM in UTC, or off; `24:00` may end a window, an end at or before the start is the next day. */
export const happyWindow = (doc: string, def: string): Field<string> => checked(doc, def, parseWindow);

export function parseWindow(v: string, key: string): { startMin: number; endMin: number } | undefined {
  if (v === '' || v === 'off') return undefined;
  const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(v);
  const startMin = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  const endMin = m ? Number(m[3]) * 60 + Number(m[4]) : NaN;
  if (!m || Number(m[2]) > 59 || Number(m[4]) > 59 || !(startMin < 1440) || !(endMin <= 1440) || startMin === endMin) {
    throw new ConfigError(`${key} must be HH:MM-HH:MM in UTC (e.g. 12:00-14:00), or off`);
  }
  return { startMin, endMin };
}

/** Weekdays as names (mon,tue,…) or * for every day. */
export const weekdays = (doc: string, def: string): Field<string> => checked(doc, def, parseDays);

export function parseDays(v: string, key: string): number[] {
  if (v === '*') return [0, 1, 2, 3, 4, 5, 6];
  const days = v.split(',').map((d) => DAY_NAMES.indexOf(d.trim().toLowerCase() as (typeof DAY_NAMES)[number]));
  if (days.some((d) => d < 0)) throw new ConfigError(`${key} must be * or a comma-separated list of ${DAY_NAMES.join(',')}`);
  return [...new Set(days)].sort();
}

export const tierList = (doc: string, def: string): Field<string> => checked(doc, def, parseTiers);

export function parseTiers(v: string, key: string): Tier[] {
  const list = v.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (!list.every(isTier)) throw new ConfigError(`${key} must be a comma-separated list of ${TIERS.join(',')}`);
  return list;
}

/** tier=weight pairs; every tier needs a weight ≥ 1. */
export const tierWeights = (doc: string, def: string): Field<string> => checked(doc, def, parseWeights);

export function parseWeights(v: string, key: string): Record<Tier, number> {
  const out: Partial<Record<Tier, number>> = {};
  for (const pair of v.split(',')) {
    const [t, w] = pair.split('=').map((s) => s.trim());
    const n = Number(w);
    if (!isTier(t) || !Number.isSafeInteger(n) || n < 1 || n > 1000) throw new ConfigError(`${key} must be tier=weight pairs (weights 1..1000), e.g. premium=8,admin=8,free=2,anonymous=1`);
    out[t] = n;
  }
  for (const t of TIERS) if (out[t] === undefined) throw new ConfigError(`${key} has no weight for ${t}`);
  return out as Record<Tier, number>;
}

/**
 * For tests only: an ISO instant the policy clock reads at process start
 * (it runs on from there), so a test can place itself inside or outside the
 * happy hour. Empty in production: the policy clock is the system clock.
 */
export const testClock = (doc: string): Field<string> => ({
  doc,
  default: '',
  parse(raw, key) {
    const v = String(raw).trim();
    if (v !== '' && !Number.isFinite(Date.parse(v))) throw new ConfigError(`${key} must be an ISO date-time (e.g. 2026-01-05T12:30:00Z) or empty`);
    return v;
  },
});

/** The clock the download policy reads: the system clock, moved to the test clock's instant when one is set. */
export function policyClock(testStart: string, now: () => number = Date.now): () => number {
  if (testStart === '') return now;
  const offset = Date.parse(testStart) - now();
  return () => now() + offset;
}

/** The happy hour from its two config keys (already checked at start). */
export function happyHourOf(window: string, days: string): HappyHour | undefined {
  const w = parseWindow(window, 'happyHour');
  return w ? { ...w, days: parseDays(days, 'happyHourDays') } : undefined;
}
