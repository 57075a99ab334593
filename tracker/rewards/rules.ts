// The reward rules as pure functions (docs/rewards.md): whether a download
// may earn its uploader a point (a file under the size limit, an eligible
// country, neither the uploader's account nor one of their addresses); whether
// it is complete is the download follower's (downloads/follow.ts). The ledger then keeps
// one point per file per address per UTC day, up to the daily cap.

export interface RewardRules {
  /** ISO codes of the eligible countries, or '*' for any the GeoIP database knows; empty: points are off. */
  countries: '*' | ReadonlySet<string>;
  /** Files of this many bytes or more earn nothing. */
  maxSize: number;
  /** Most points one uploader earns per UTC day. */
  dailyCap: number;
  /** Points one day of premium costs. */
  pointsPerDay: number;
}

/** What the tracker knows of a download when it signs its URL. */
export interface DownloadFacts {
  /** The uploader's account; undefined for a link uploaded anonymously. */
  uploader: string | undefined;
  /** The downloader's account, when signed in. */
  downloader: string | undefined;
  /** The downloader's country, undefined when the database does not know the address. */
  country: string | undefined;
  /** The downloader's address is one the uploader was seen at. */
  uploaderAddress: boolean;
  size: number;
}

export type NoPoint = 'off' | 'anonymous-upload' | 'empty' | 'too-large' | 'country' | 'own-account' | 'own-address';

export type Eligibility = { ok: true; country: string } | { ok: false; why: NoPoint };

export const pointsOn = (r: RewardRules): boolean => r.countries === '*' || r.countries.size > 0;

/** Whether a download may earn its uploader a point once complete. */
export function eligibility(f: DownloadFacts, r: RewardRules): Eligibility {
  if (!pointsOn(r)) return { ok: false, why: 'off' };
  if (f.uploader === undefined) return { ok: false, why: 'anonymous-upload' };
  if (f.size <= 0) return { ok: false, why: 'empty' };
  if (f.size >= r.maxSize) return { ok: false, why: 'too-large' };
  if (f.downloader !== undefined && f.downloader === f.uploader) return { ok: false, why: 'own-account' };
  if (f.uploaderAddress) return { ok: false, why: 'own-address' };
  if (f.country === undefined || (r.countries !== '*' && !r.countries.has(f.country))) return { ok: false, why: 'country' };
  return { ok: true, country: f.country };
}

/** The UTC day of an instant, YYYY-MM-DD: points are one per file per address per day. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Points `days` of premium cost; undefined when `days` is not a positive whole number. */
export function redemptionCost(days: number, r: RewardRules): number | undefined {
  return Number.isSafeInteger(days) && days > 0 && days * r.pointsPerDay <= Number.MAX_SAFE_INTEGER ? days * r.pointsPerDay : undefined;
}

/** The rules from their configuration text (checked at start). */
export function rewardRulesOf(c: { rewardCountries: string; rewardMaxSize: number; rewardDailyCap: number; rewardPointsPerDay: number }): RewardRules {
  const countries = c.rewardCountries.trim() === '*' ? '*' : new Set(c.rewardCountries.split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== ''));
  return Object.freeze({ countries, maxSize: c.rewardMaxSize, dailyCap: c.rewardDailyCap, pointsPerDay: c.rewardPointsPerDay });
}
