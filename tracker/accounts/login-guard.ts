// The brute-force guard on sign-in: failed attempts are counted per address
// and per account name over a sliding window; past the limit of either,
// attempts are refused (429 with Retry-After) until the oldest failure in the
// window ages out, before any password is checked. A success clears the
// account's count (not the address's: one right password must not reopen a
// guessing run from that address).

export interface LoginGuardLimits {
  /** Failures one address may make per window (0 = no limit). */
  perAddress: number;
  /** Failures against one account name per window (0 = no limit). */
  perAccount: number;
  windowMs: number;
  /** Keys remembered at once; the least recently failed are forgotten first. */
  maxKeys: number;
}

export class LoginGuard {
  /** Failure times per key, oldest first, at most the key's limit long. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits: LoginGuardLimits,
    private readonly now: () => number,
  ) {}

  /** Milliseconds until an attempt for this address and name may be made, 0 when now. */
  waitMs(address: string, name: string): number {
    return Math.max(this.wait(`ip:${address}`, this.limits.perAddress), this.wait(`name:${name}`, this.limits.perAccount));
  }

  failed(address: string, name: string): void {
    this.add(`ip:${address}`, this.limits.perAddress);
    this.add(`name:${name}`, this.limits.perAccount);
  }

  succeeded(name: string): void {
    this.failures.delete(`name:${name}`);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.limits.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }

  private wait(key: string, limit: number): number {
    if (limit === 0) return 0;
    const list = this.recent(key);
    if (list.length < limit) return 0;
    return list[list.length - limit]! + this.limits.windowMs - this.now();
  }

  private add(key: string, limit: number): void {
    if (limit === 0) return;
    const list = [...this.recent(key), this.now()].slice(-limit);
    this.failures.delete(key);
    this.failures.set(key, list);
    while (this.failures.size > this.limits.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }
}
