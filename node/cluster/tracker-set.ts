// The trackers a node knows (its --tracker list). Every tracker of a cluster
// answers every call (they share one metadata store), so a call goes to the
// one that answered last and, when that one cannot be reached, to the next:
// a tracker killed or restarting costs a call one failed connection, not
// the commit window.
import { isConnectionError } from '../../common/cli.js';
import { RemoteError } from '../../common/protocol/errors.js';

/** A proxy in front of a tracker says the tracker is away: another may answer. */
function elsewhere(err: unknown): boolean {
  if (err instanceof RemoteError) return err.status === 502 || err.status === 504;
  return isConnectionError(err);
}

export class TrackerSet {
  private preferred = 0;

  constructor(readonly bases: readonly string[]) {
    if (bases.length === 0) throw new Error('a node needs at least one tracker');
  }

  /**
   * Runs `call` against the preferred tracker, then each other one in list
   * order while they cannot be reached; the first that answers (an error
   * answer included) becomes the preferred one. Throws the last failure
   * when none answers.
   */
  async call<T>(call: (base: string) => Promise<T>): Promise<T> {
    const start = this.preferred;
    let last: unknown;
    for (let i = 0; i < this.bases.length; i++) {
      const at = (start + i) % this.bases.length;
      try {
        const out = await call(this.bases[at]!);
        this.preferred = at;
        return out;
      } catch (err) {
        if (!elsewhere(err)) {
          this.preferred = at;
          throw err;
        }
        last = err;
      }
    }
    throw last;
  }
}
