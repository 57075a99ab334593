// When a daemon of the local cluster dies, how long to wait before starting it
// again: 1 s, doubling on each death up to 30 s, back to 1 s once a run has
// lasted a minute (a daemon that dies at once on every start is not retried
// in a tight loop, one that crashed once after hours comes back at once).
export interface RestartPolicy {
  initialMs: number;
  maxMs: number;
  /** A run at least this long resets the wait. */
  stableMs: number;
}

export const RESTART_POLICY: RestartPolicy = { initialMs: 1_000, maxMs: 30_000, stableMs: 60_000 };

export class RestartBackoff {
  private deaths = 0;

  constructor(private readonly policy: RestartPolicy = RESTART_POLICY) {}

  /** The wait before the next start, given how long the run that just ended lasted (0: it never came up). */
  next(ranMs: number): number {
    if (ranMs >= this.policy.stableMs) this.deaths = 0;
    const wait = Math.min(this.policy.initialMs * 2 ** this.deaths, this.policy.maxMs);
    this.deaths++;
    return wait;
  }
}
