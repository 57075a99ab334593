// One transfer group's rate cap: bytes leave no faster than `rate` on
// average. The group starts with no credit (each slice waits for its own
// time), so a download's average rate is its cap from the first byte, and
// slices are small enough that the first bytes come at once.

export class Pacer {
  /** When the bytes handed out so far have been paid for, in ms. */
  private paidUntil = 0;

  /** Milliseconds to wait before sending `n` bytes at `rate` bytes/s (0 = now, no cap). */
  delay(n: number, rate: number, nowMs: number): number {
    if (rate <= 0) {
      this.paidUntil = nowMs;
      return 0;
    }
    this.paidUntil = Math.max(this.paidUntil, nowMs) + (n * 1000) / rate;
    return this.paidUntil - nowMs;
  }
}
