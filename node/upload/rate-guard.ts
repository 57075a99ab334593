// Decides when an upload is too slow: bytes received over a sliding window.
export class RateGuard {
  private readonly samples: Array<{ t: number; bytes: number }>;

  /** `minRate` bytes/s averaged over `windowMs`; 0 turns the guard off. */
  constructor(
    private readonly minRate: number,
    private readonly windowMs: number,
    start = Date.now(),
  ) {
    this.samples = [{ t: start, bytes: 0 }];
  }

  /** Records the bytes received so far; true when the last full window was below the floor. */
  tooSlow(bytes: number, now = Date.now()): boolean {
    if (this.minRate <= 0) return false;
    const s = this.samples;
    s.push({ t: now, bytes });
    // Keep the newest sample at least one window old as the base.
    while (s.length > 1 && s[1]!.t <= now - this.windowMs) s.shift();
    const base = s[0]!;
    const span = now - base.t;
    if (span < this.windowMs) return false;
    return ((bytes - base.bytes) * 1000) / span < this.minRate;
  }
}
