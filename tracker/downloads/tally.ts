// Complete downloads per link, kept here and added to the store in one
// batch every few seconds: a busy link costs one write per flush, not one
// per download, and never a write on the commit path. A batch the store
// refuses is kept and added with the next one; a crash loses at most the
// last few seconds of counts.
import type { Logger } from 'pino';

/** How often counted downloads go to the store. */
export const TALLY_FLUSH_MS = 2_000;

export interface DownloadTallyOptions {
  /** The store's batch addition (MetaStore.downloadCounts.add). */
  add: (counts: ReadonlyMap<string, number>) => Promise<void>;
  log: Logger;
  /** Told each download counted, and each batch's outcome (metrics). */
  observe: { counted(): void; wrote(ok: boolean): void };
  flushMs?: number;
}

export class DownloadTally {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: DownloadTallyOptions) {}

  /** One complete download of `linkId`. */
  count(linkId: string): void {
    this.pending.set(linkId, (this.pending.get(linkId) ?? 0) + 1);
    this.opts.observe.counted();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.opts.flushMs ?? TALLY_FLUSH_MS);
    this.timer.unref();
  }

  /** Adds what was counted since the last flush (one flush at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      try {
        await this.opts.add(batch);
        this.opts.observe.wrote(true);
      } catch (err) {
        this.opts.observe.wrote(false);
        for (const [id, n] of batch) this.pending.set(id, (this.pending.get(id) ?? 0) + n);
        this.opts.log.warn({ err, links: batch.size }, 'download counts not written; adding them with the next batch');
      }
    });
    return this.flushing;
  }

  /** Stops the timer and writes what is left (before the store closes). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Downloads counted and not yet written (tests). */
  get unwritten(): number {
    let n = 0;
    for (const v of this.pending.values()) n += v;
    return n;
  }
}
