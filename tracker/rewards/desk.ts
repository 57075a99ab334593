// Reward points at work on the tracker: when a download's URL is signed,
// whether it may earn its uploader a point is judged from what the tracker
// knows of caller and file (rules.ts); one that may is remembered under its
// download id. Every download is followed to completion by the download
// follower (downloads/follow.ts: nodes report the bytes served under each
// id, ranges, connections and nodes adding up); once one that may earn is
// complete, the point goes to the ledger, which keeps one per file per
// address per day and the uploader's daily cap.
import type { Logger } from 'pino';
import { HoardError } from '../../common/protocol/errors.js';
import { POINTS_PAGE, type PointsAudit, type PointsInfo, type PointsRedeemed } from '../../common/protocol/rewards.js';
import { pointKey, StoreError, type AwardOutcome, type PointRecord, type RewardTable } from '../meta/store.js';
import { AccountAddresses } from './addresses.js';
import type { CountryOf } from './geo.js';
import { addressHash, pointId, redemptionId } from './ids.js';
import { eligibility, pointsOn, redemptionCost, utcDay, type NoPoint, type RewardRules } from './rules.js';

/** A download that may earn is remembered this long after its URL was signed (as long as the follower follows it). */
export const FOLLOW_MS = 36 * 3_600_000;
/** Ledger records read per page by an audit. */
const AUDIT_PAGE = 1000;
/** Most downloads followed at once; the oldest are dropped past it. */
const FOLLOW_MAX = 200_000;

export interface RewardDeskOptions {
  rules: RewardRules;
  ledger: RewardTable;
  /** Keys the address hashes. */
  secret: string;
  countryOf: CountryOf;
  now: () => number;
  log: Logger;
  /** Told each award's outcome, and each download judged unable to earn (metrics). */
  counted: (outcome: AwardOutcome | NoPoint) => void;
}

/** A download being signed: who asks, for which link and file. */
export interface DownloadAsk {
  ip: string;
  /** The caller's account, when signed in. */
  downloader: string | undefined;
  linkId: string;
  uploader: string | undefined;
  blobId: string;
  size: number;
}

interface MayEarn {
  point: Omit<PointRecord, 'at'>;
  opened: number;
  /** Complete and handed to the ledger (a retry follows only a failed write). */
  counted: boolean;
}

export class RewardDesk {
  private readonly addresses = new AccountAddresses();
  /** Map order is age: the oldest first. */
  private readonly followed = new Map<string, MayEarn>();

  constructor(private readonly opts: RewardDeskOptions) {}

  get rules(): RewardRules {
    return this.opts.rules;
  }

  get ledger(): RewardTable {
    return this.opts.ledger;
  }

  /** A signed-in caller's request came from `ip`. */
  seen(userId: string, ip: string): void {
    if (pointsOn(this.opts.rules)) this.addresses.note(userId, addressHash(this.opts.secret, ip), this.opts.now());
  }

  /** Whether the download signed under `downloadId` may earn a point once complete (remembered until then). */
  open(a: DownloadAsk, downloadId: string): boolean {
    const { rules, secret } = this.opts;
    if (!pointsOn(rules)) return false;
    const now = this.opts.now();
    const ipHash = addressHash(secret, a.ip);
    const verdict = eligibility(
      {
        uploader: a.uploader,
        downloader: a.downloader,
        country: this.opts.countryOf(a.ip),
        uploaderAddress: a.uploader !== undefined && this.addresses.has(a.uploader, ipHash, now),
        size: a.size,
      },
      rules,
    );
    if (!verdict.ok) {
      this.opts.counted(verdict.why);
      return false;
    }
    if (!this.followed.has(downloadId)) {
      this.sweep(now);
      const day = utcDay(now);
      const point: Omit<PointRecord, 'at'> = {
        id: pointId(a.uploader!, a.blobId, ipHash, day),
        uploader: a.uploader!,
        blobId: a.blobId,
        linkId: a.linkId,
        ipHash,
        country: verdict.country,
        day,
        ...(a.downloader === undefined ? {} : { downloader: a.downloader }),
      };
      this.followed.set(downloadId, { point, opened: now, counted: false });
    }
    return true;
  }

  /** The download is complete (heard again at each node report for a while): a point to the ledger if it may earn (not awaited: the beat is answered at once). */
  whole(downloadId: string): void {
    const f = this.followed.get(downloadId);
    if (!f || f.counted) return;
    f.counted = true;
    void this.award(downloadId, f);
  }

  /** An account's balance and one page of its ledger (oldest first), with its redemptions. */
  async account(userId: string, after?: string): Promise<PointsInfo> {
    const { ledger, rules } = this.opts;
    const [balance, page, redemptions] = await Promise.all([
      ledger.balance(userId),
      ledger.points(userId, { limit: POINTS_PAGE + 1, ...(after === undefined ? {} : { after }) }),
      ledger.redemptions(userId, { limit: 1000 }),
    ]);
    const shown = page.slice(0, POINTS_PAGE);
    const info: PointsInfo = {
      balance: balance.earned - balance.spent,
      earned: balance.earned,
      spent: balance.spent,
      pointsPerDay: rules.pointsPerDay,
      dailyCap: rules.dailyCap,
      on: pointsOn(rules),
      points: shown.map((p) => ({ day: p.day, at: p.at, link: p.linkId, country: p.country })),
      redemptions: redemptions.map((r) => ({ at: r.at, points: r.points, days: r.days, premiumUntil: r.premiumUntil })),
    };
    if (page.length > POINTS_PAGE) info.next = pointKey(shown.at(-1)!);
    return info;
  }

  /** The account's balance recomputed from its ledger, page by page, against the one kept beside it. */
  async audit(userId: string): Promise<PointsAudit> {
    const { ledger } = this.opts;
    const balance = await ledger.balance(userId);
    let ledgerEarned = 0;
    for (let after: string | undefined; ; ) {
      const page = await ledger.points(userId, { limit: AUDIT_PAGE, ...(after === undefined ? {} : { after }) });
      ledgerEarned += page.length;
      if (page.length < AUDIT_PAGE) break;
      after = pointKey(page.at(-1)!);
    }
    let ledgerSpent = 0;
    for (let after: string | undefined; ; ) {
      const page = await ledger.redemptions(userId, { limit: AUDIT_PAGE, ...(after === undefined ? {} : { after }) });
      ledgerSpent += page.reduce((n, r) => n + r.points, 0);
      if (page.length < AUDIT_PAGE) break;
      after = page.at(-1)!.id;
    }
    return {
      earned: balance.earned,
      spent: balance.spent,
      balance: balance.earned - balance.spent,
      ledgerEarned,
      ledgerSpent,
      agrees: ledgerEarned === balance.earned && ledgerSpent === balance.spent,
    };
  }

  /** Spends `days` × pointsPerDay points on as many days of premium, in one step with the extension. */
  async redeem(userId: string, days: number): Promise<PointsRedeemed> {
    const points = redemptionCost(days, this.opts.rules);
    if (points === undefined) throw new HoardError('BAD_REQUEST', 'days must be a positive whole number');
    const now = this.opts.now();
    try {
      const r = await this.opts.ledger.redeem({ id: redemptionId(now), userId, points, days, at: new Date(now).toISOString() });
      this.opts.log.info({ user: userId, points, days, premiumUntil: r.redemption.premiumUntil }, 'reward points redeemed');
      return { days, points, premiumUntil: r.redemption.premiumUntil, balance: r.balance.earned - r.balance.spent };
    } catch (err) {
      if (err instanceof StoreError && err.code === 'QUOTA') {
        const b = await this.opts.ledger.balance(userId);
        throw new HoardError('POINTS_INSUFFICIENT', `${days} premium day(s) cost ${points} points; the account has ${b.earned - b.spent}`);
      }
      if (err instanceof StoreError && err.code === 'NOT_FOUND') throw new HoardError('USER_NOT_FOUND');
      throw err;
    }
  }

  /** Downloads that may earn, remembered now (tests, stats). */
  get following(): number {
    return this.followed.size;
  }

  private async award(downloadId: string, f: MayEarn): Promise<void> {
    const point: PointRecord = { ...f.point, at: new Date(this.opts.now()).toISOString() };
    try {
      const outcome = await this.opts.ledger.award(point, this.opts.rules.dailyCap);
      this.opts.counted(outcome);
      this.opts.log.info({ download: downloadId, uploader: point.uploader, link: point.linkId, country: point.country, day: point.day, outcome }, 'complete download counted');
    } catch (err) {
      // The next report of the download tries again (nodes repeat it for a few seconds).
      f.counted = false;
      this.opts.log.warn({ err, download: downloadId, uploader: point.uploader }, 'reward point not written; trying again at the next report');
    }
  }

  private sweep(now: number): void {
    for (const [id, f] of this.followed) {
      if (now - f.opened < FOLLOW_MS && this.followed.size < FOLLOW_MAX) break;
      this.followed.delete(id);
    }
  }
}
