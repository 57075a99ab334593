// Every download followed to its end. The signed node URL carries a
// download id (`dl`), one per downloader (account, or address), link and
// UTC day, so every range, connection, resume and node of that download
// adds up under it; nodes report the bytes they served under each id with
// their heartbeats. Once those cover the whole file the download is
// complete: it counts once for its link (the count the account page shows)
// and is handed on (reward points, which judged at signing whether it may
// earn). A download cut short, or a client that fetched only part of the
// file, counts nothing.
import { createHmac } from 'node:crypto';
import { coversWhole, mergeRanges, type ServedRange } from '../../common/protocol/served.js';
import type { ServedReport } from '../../common/protocol/types.js';
import type { DownloadTally } from './tally.js';

/** A download is followed this long after its URL was signed (a resume hours later is still the same download). */
export const FOLLOW_MS = 36 * 3_600_000;
/** Most downloads followed at once; the oldest are dropped past it. */
const FOLLOW_MAX = 200_000;

/** A download being signed: who asks, for which link and file. */
export interface FollowAsk {
  /** callerKey: the account, else the address. */
  holder: string;
  linkId: string;
  blobId: string;
  size: number;
}

interface Followed {
  linkId: string;
  blobId: string;
  size: number;
  /** Emptied once whole. */
  ranges: ServedRange[];
  opened: number;
  whole: boolean;
}

export interface DownloadFollowOptions {
  /** Keys the download ids (the cluster secret: an id cannot be made up or moved to another download). */
  secret: string;
  now: () => number;
  tally: DownloadTally;
  /** Told each report of a complete download (nodes repeat reports for a while: it may hear one several times). */
  whole: (downloadId: string) => void;
}

/** 128 bits, base64url: the shape of a download lease id (LEASE_ID_RE). */
export const dailyDownloadId = (secret: string, holder: string, linkId: string, blobId: string, day: string): string =>
  createHmac('sha256', secret).update(['download', holder, linkId, blobId, day].join('\0')).digest().subarray(0, 16).toString('base64url');

/** The UTC day of an instant, YYYY-MM-DD. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export class DownloadFollow {
  /** Map order is age: the oldest first. */
  private readonly followed = new Map<string, Followed>();

  constructor(private readonly opts: DownloadFollowOptions) {}

  /** The download id the signed URL carries. */
  open(a: FollowAsk): string {
    const now = this.opts.now();
    const id = dailyDownloadId(this.opts.secret, a.holder, a.linkId, a.blobId, utcDay(now));
    if (!this.followed.has(id)) {
      this.sweep(now);
      // An empty file has no byte to serve: asking for it is downloading it whole.
      const whole = a.size === 0;
      this.followed.set(id, { linkId: a.linkId, blobId: a.blobId, size: a.size, ranges: [], opened: now, whole });
      if (whole) this.opts.tally.count(a.linkId);
    }
    return id;
  }

  /** A node's heartbeat: the ranges it served per download id. */
  served(reports: readonly ServedReport[]): void {
    for (const r of reports) {
      const f = this.followed.get(r.id);
      if (!f || f.blobId !== r.blob) continue;
      if (!f.whole) {
        f.ranges = mergeRanges(f.ranges, r.ranges);
        if (!coversWhole(f.ranges, f.size)) continue;
        f.whole = true;
        f.ranges = [];
        this.opts.tally.count(f.linkId);
      }
      this.opts.whole(r.id);
    }
  }

  /** Downloads followed now (tests, stats). */
  get following(): number {
    return this.followed.size;
  }

  private sweep(now: number): void {
    for (const [id, f] of this.followed) {
      if (now - f.opened < FOLLOW_MS && this.followed.size < FOLLOW_MAX) break;
      this.followed.delete(id);
    }
  }
}
