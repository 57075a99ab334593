// Speed and time left from progress samples over the last few seconds: a
// burst or a stall moves the estimate, but not all at once.

const WINDOW_MS = 5_000;

export class RateMeter {
  private readonly samples: Array<{ t: number; bytes: number }> = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Records that `bytes` (a running total) were reached now. */
  add(bytes: number): void {
    const t = this.now();
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - this.samples[0]!.t > WINDOW_MS) this.samples.shift();
  }

  /** Bytes per second, undefined until there is something to measure. */
  speed(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.t - first.t < 250) return undefined;
    return ((last.bytes - first.bytes) * 1000) / (last.t - first.t);
  }

  /** Seconds until `total` at the current speed. */
  secondsLeft(total: number): number | undefined {
    const speed = this.speed();
    const last = this.samples[this.samples.length - 1];
    if (!speed || !last || speed <= 0) return undefined;
    return (total - last.bytes) / speed;
  }
}
