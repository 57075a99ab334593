// The limits of each tier, as pure functions of the configuration: what an
// upload may weigh and what file a caller may download. `undefined` is no
// limit. Admins have none; premium has none by default.
import type { Tier } from '../../common/protocol/tiers.js';

/** The configuration keys the limits come from (tracker/config.ts; 0 there is no limit). */
export interface LimitsConfig {
  uploadLimitAnonymous: number;
  uploadLimitFree: number;
  uploadLimitPremium: number;
  downloadLimitFree: number;
  storageQuotaFree: number;
  storageQuotaPremium: number;
}

export interface TierLimits {
  /** Largest upload, bytes. */
  uploadSize?: number;
  /** Largest file this tier may download, bytes. */
  downloadSize?: number;
  /** Most logical bytes an account of this tier may keep (anonymous uploads belong to no account). */
  storage?: number;
}

const some = (v: number): number | undefined => (v > 0 ? v : undefined);

export function limitsOf(cfg: LimitsConfig, tier: Tier): TierLimits {
  switch (tier) {
    case 'anonymous':
      return { uploadSize: some(cfg.uploadLimitAnonymous), downloadSize: some(cfg.downloadLimitFree) };
    case 'free':
      return { uploadSize: some(cfg.uploadLimitFree), downloadSize: some(cfg.downloadLimitFree), storage: some(cfg.storageQuotaFree) };
    case 'premium':
      return { uploadSize: some(cfg.uploadLimitPremium), storage: some(cfg.storageQuotaPremium) };
    case 'admin':
      return {};
  }
}

export type LimitVerdict = { ok: true } | { ok: false; max: number; message: string };

const OK: LimitVerdict = { ok: true };

/** Whether an upload of `size` bytes (undefined: not declared) fits the tier's upload limit. */
export function uploadSizeVerdict(limits: TierLimits, tier: Tier, size: number | undefined): LimitVerdict {
  if (size === undefined || limits.uploadSize === undefined || size <= limits.uploadSize) return OK;
  return { ok: false, max: limits.uploadSize, message: `${tier} uploads are limited to ${formatBytes(limits.uploadSize)} (${limits.uploadSize} bytes); this one is ${size} bytes` };
}

/**
 * Whether an account that keeps `used` logical bytes may add an upload of
 * `size` (undefined: not declared, refused only when nothing is left).
 */
export function storageVerdict(limits: TierLimits, tier: Tier, used: number, size: number | undefined): LimitVerdict {
  const quota = limits.storage;
  if (quota === undefined) return OK;
  const left = Math.max(0, quota - used);
  if (size === undefined ? left > 0 : size <= left) return OK;
  const what = size === undefined ? 'nothing is left' : `this upload is ${size} bytes and ${left} are left`;
  return { ok: false, max: quota, message: `${tier} accounts may keep ${formatBytes(quota)} (${quota} bytes) of files; this one keeps ${used} bytes, ${what}. Delete some files or go premium.` };
}

/** Whether a file of `size` bytes may be downloaded by this tier. */
export function downloadSizeVerdict(limits: TierLimits, tier: Tier, size: number): LimitVerdict {
  if (limits.downloadSize === undefined || size <= limits.downloadSize) return OK;
  return {
    ok: false,
    max: limits.downloadSize,
    message: `files over ${formatBytes(limits.downloadSize)} (${limits.downloadSize} bytes) need a premium account; ${tier} downloads are limited to that size, and this file is ${size} bytes`,
  };
}

/** 1 GiB, 512 MiB: the limits as a person reads them. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}
