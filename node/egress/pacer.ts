// One transfer group's rate cap: bytes leave no faster than `rate` on
// average. The group starts with no credit (each slice waits for its own
// time), so a download's average rate is its cap from the first byte, and
// slices are small enough that the first bytes come at once. A sender that
// fell behind (a busy event loop, a slow disk, a client that read slowly)
// may catch up by CATCH_UP_MS at most: no larger burst is ever banked.

/** How far behind its schedule a group may catch up. */
export const CATCH_UP_MS = 500;

export class Pacer {
  /** When the bytes handed out so far have been paid for, in ms; undefined before the first. */
  private paidUntil: number | undefined;

  /** Milliseconds to wait before sending `n` bytes at `rate` bytes/s (0 = now, no cap). */
  delay(n: number, rate: number, nowMs: number): number {
    if (rate <= 0) {
      this.paidUntil = nowMs;
      return 0;
    }
    // The first slice has nothing to catch up: a download never starts with a burst.
    const from = this.paidUntil === undefined ? nowMs : Math.max(this.paidUntil, nowMs - CATCH_UP_MS);
    this.paidUntil = from + (n * 1000) / rate;
    return Math.max(this.paidUntil - nowMs, 0);
  }
}
