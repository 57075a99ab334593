// The backlog gauges (hoard_blobs_under_replicated, hoard_repair_backlog)
// recounted soon after a node goes down or comes back, instead of at the next
// repair scan: a dry run of the repair plan, nothing copied. Changes in a
// burst make one recount; one asked for while a recount runs makes one more
// after it.
const RECOUNT_DELAY_MS = 250;

export class Recount {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly count: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
    private readonly delayMs = RECOUNT_DELAY_MS,
  ) {}

  soon(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = true;
      this.count()
        .catch(this.onError)
        .finally(() => {
          this.running = false;
          if (this.again) {
            this.again = false;
            this.soon();
          }
        });
    }, this.delayMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
