// The tracker's download policy at work: the claims a download URL carries
// for a caller (tier, rate, lease, happy window), or a refusal while the
// caller's one download is running; and the state GET /api/status shows.
import { randomBytes } from 'node:crypto';
import { HoardError } from '../../common/protocol/errors.js';
import { happyHourAt, tierLimits, type DownloadClaims, type DownloadPolicy, type HappyHourState, type TierLimits, type Window } from '../../common/protocol/download-policy.js';
import type { Tier } from '../../common/protocol/tiers.js';
import type { LeaseBook } from './lease-book.js';

/** A caller's second file while the first is still downloading: 429 with the seconds to wait (Retry-After). */
export class DownloadBusy extends HoardError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super('DOWNLOAD_BUSY', message);
  }
}

export interface DownloadDeskOptions {
  policy: DownloadPolicy;
  leases: LeaseBook;
  /** How long a lease lives without a node reporting it served. */
  leaseTtlMs: number;
  /** The clock the happy hour is judged by (the system clock outside tests). */
  policyNow: () => number;
  /** The clock leases expire by. */
  now: () => number;
}

export class DownloadDesk {
  constructor(private readonly opts: DownloadDeskOptions) {}

  get leases(): LeaseBook {
    return this.opts.leases;
  }

  get leaseTtlMs(): number {
    return this.opts.leaseTtlMs;
  }

  /** The policy clock (the system clock outside tests). */
  now(): number {
    return this.opts.policyNow();
  }

  happyHour(): HappyHourState {
    return happyHourAt(this.opts.policy.happyHour, this.opts.policyNow());
  }

  /** What `tier` may do right now. */
  limits(tier: Tier, happy = this.happyHour()): TierLimits {
    return tierLimits(this.opts.policy, tier, happy.on);
  }

  get policy(): DownloadPolicy {
    return this.opts.policy;
  }

  /**
   * The claims of a download of `blobId` by the caller known as `holder`;
   * throws DownloadBusy while the caller, limited to one file at a time,
   * downloads another one.
   */
  async claims(caller: { tier: Tier; holder: string }, blobId: string, filename: string): Promise<DownloadClaims> {
    const { policy } = this.opts;
    const happy = this.happyHour();
    const base = tierLimits(policy, caller.tier, false);
    const now = this.limits(caller.tier, happy);
    // The window rides along for the tiers it lifts: a node lifts the cap when its clock enters it, even mid-download.
    const lifted = (base.oneAtATime || base.rate > 0) && policy.happyTiers.includes(caller.tier);
    const window = lifted ? happy.window : undefined;
    let lease = '';
    if (now.oneAtATime) {
      const d = await this.opts.leases.acquire({
        holder: caller.holder,
        blobId,
        filename,
        nowMs: this.opts.now(),
        ttlMs: this.opts.leaseTtlMs,
        newId: randomBytes(16).toString('base64url'),
      });
      if (d.kind === 'busy') throw new DownloadBusy(busyText(d.lease.filename, d.retryAfterS, caller.tier, window), d.retryAfterS);
      lease = d.lease.id;
    }
    return { tier: caller.tier, rate: base.rate, lease, happy: window };
  }
}

function busyText(other: string, retryAfterS: number, tier: Tier, happy: Window | undefined): string {
  const who = tier === 'anonymous' ? 'Without an account' : 'With a free account';
  const at = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const next = happy ? ` During happy hour (next from ${at(happy.start)} UTC) there is no such limit.` : '';
  return `You are already downloading "${other}". ${who} you can download one file at a time: this one can start when that download ends (try again in ${retryAfterS} s).${next}`;
}
