// The node's uplink budget (--uplink-rate), shared by the transfers that
// wait for it. Every tick hands out the bytes the budget earned since the
// last one, split by fairShares (tier weights over a floor), and lets each
// waiting transfer go once its credit covers the slice it asked for. Ticks
// run only while someone waits; with no budget set nothing here runs at all.
import { fairShares } from './fair-share.js';

/** How often bytes are handed out while transfers wait. */
export const UPLINK_TICK_MS = 10;
/** Bytes of budget the uplink may carry over between ticks (a late timer), as seconds of its rate. */
const CARRY_S = 0.05;

interface Waiter {
  flow: UplinkFlow;
  bytes: number;
  resolve: () => void;
}

export class UplinkFlow {
  /** Bytes granted and not yet spent. */
  credit = 0;
  constructor(
    private readonly uplink: Uplink,
    /** Read at each tick: a download's weight may change (the happy hour starts). */
    readonly weight: () => number,
  ) {}

  /** Resolves once the uplink grants `n` bytes to this flow. */
  take(n: number): Promise<void> {
    return this.uplink.wait(this, n);
  }
}

/** Where the uplink reads time and sets its tick (a test drives both by hand). */
export interface UplinkClock {
  now(): number;
  every(fn: () => void, ms: number): { stop(): void };
}

const realClock: UplinkClock = {
  now: Date.now,
  every(fn, ms) {
    const t = setInterval(fn, ms);
    return { stop: () => clearInterval(t) };
  },
};

export class Uplink {
  private readonly waiting: Waiter[] = [];
  private timer: { stop(): void } | undefined;
  private last = 0;
  private carry = 0;

  constructor(
    /** Bytes/s, > 0. */
    readonly rate: number,
    private readonly minShare: number,
    private readonly clock: UplinkClock = realClock,
  ) {}

  flow(weight: () => number): UplinkFlow {
    return new UplinkFlow(this, weight);
  }

  /** Transfers waiting for bytes now (for tests and metrics). */
  get queued(): number {
    return this.waiting.length;
  }

  wait(flow: UplinkFlow, bytes: number): Promise<void> {
    // Credit left from the last grant pays for the next slice at once.
    if (flow.credit >= bytes) {
      flow.credit -= bytes;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push({ flow, bytes, resolve });
      if (!this.timer) {
        // An idle uplink banks no burst: a restart counts one tick of budget at most.
        this.last = Math.max(this.last, this.clock.now() - UPLINK_TICK_MS);
        this.carry = 0;
        this.timer = this.clock.every(() => this.tick(), UPLINK_TICK_MS);
      }
    });
  }

  private tick(): void {
    const now = this.clock.now();
    const budget = Math.min(this.carry + ((now - this.last) * this.rate) / 1000, this.rate * (CARRY_S + UPLINK_TICK_MS / 1000));
    this.last = now;
    const perTick = (this.rate * UPLINK_TICK_MS) / 1000;
    const shares = fairShares(
      budget,
      // A flow may bank a tick's budget beyond its slice: it then sends several slices a tick from credit.
      this.waiting.map((w) => ({ weight: Math.max(w.flow.weight(), 1e-6), demand: Math.max(w.bytes + perTick - w.flow.credit, 0) })),
      this.minShare,
    );
    let spent = 0;
    const still: Waiter[] = [];
    this.waiting.forEach((w, i) => {
      w.flow.credit += shares[i]!;
      spent += shares[i]!;
      if (w.flow.credit + 1e-6 >= w.bytes) {
        w.flow.credit = Math.max(w.flow.credit - w.bytes, 0);
        // What a flow banks is bounded: more goes back to the others.
        if (w.flow.credit > perTick) {
          spent -= w.flow.credit - perTick;
          w.flow.credit = perTick;
        }
        w.resolve();
      } else still.push(w);
    });
    this.carry = budget - spent;
    this.waiting.splice(0, this.waiting.length, ...still);
    if (this.waiting.length === 0) {
      this.timer?.stop();
      this.timer = undefined;
    }
  }
}
