// Where the tracker keeps download leases. One small interface, so that
// trackers sharing a metadata store could share leases in it; the one
// implementation today keeps them in this process's memory (docs/tiers.md:
// with several trackers, each holds its own leases, and a caller could hold
// one lease at each).
import { decideLease, isLive, renewLease, type Lease, type LeaseAsk, type LeaseDecision } from './lease-rules.js';

export interface LeaseBook {
  /** Decides and records, as one step per holder. */
  acquire(ask: LeaseAsk): Promise<LeaseDecision>;
  /** Nodes still serve these: each lives another ttl. Unknown ids are ignored. */
  renew(ids: readonly string[], nowMs: number, ttlMs: number): Promise<void>;
  /** Nodes finished serving these. Unknown ids are ignored. */
  release(ids: readonly string[]): Promise<void>;
  /** Live leases (for GET /internal/admin/stats and tests). */
  count(nowMs: number): Promise<number>;
}

/** Expired leases are swept at most this often. */
const SWEEP_MS = 10_000;

export class MemoryLeaseBook implements LeaseBook {
  private readonly byHolder = new Map<string, Lease>();
  private readonly holderOf = new Map<string, string>();
  private lastSweep = 0;

  async acquire(ask: LeaseAsk): Promise<LeaseDecision> {
    this.sweep(ask.nowMs);
    const current = this.byHolder.get(ask.holder);
    const d = decideLease(current, ask);
    if (d.kind !== 'busy') {
      if (current && current.id !== d.lease.id) this.holderOf.delete(current.id);
      this.byHolder.set(ask.holder, d.lease);
      this.holderOf.set(d.lease.id, ask.holder);
    }
    return d;
  }

  async renew(ids: readonly string[], nowMs: number, ttlMs: number): Promise<void> {
    for (const id of ids) {
      const holder = this.holderOf.get(id);
      const l = holder === undefined ? undefined : this.byHolder.get(holder);
      if (l && l.id === id && isLive(l, nowMs)) this.byHolder.set(l.holder, renewLease(l, nowMs, ttlMs));
    }
    this.sweep(nowMs);
  }

  async release(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const holder = this.holderOf.get(id);
      if (holder === undefined) continue;
      this.holderOf.delete(id);
      if (this.byHolder.get(holder)?.id === id) this.byHolder.delete(holder);
    }
  }

  async count(nowMs: number): Promise<number> {
    let n = 0;
    for (const l of this.byHolder.values()) if (isLive(l, nowMs)) n++;
    return n;
  }

  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweep < SWEEP_MS) return;
    this.lastSweep = nowMs;
    for (const [holder, l] of this.byHolder) {
      if (isLive(l, nowMs)) continue;
      this.byHolder.delete(holder);
      this.holderOf.delete(l.id);
    }
  }
}
