// The addresses each account was lately seen at (every signed-in request),
// so that a download from one of its uploader's own addresses earns nothing.
// Kept in this tracker's memory, bounded: with several trackers, each knows
// the addresses it saw (docs/rewards.md).

/** An address is the account's for this long after it was last seen. */
export const ADDRESS_MEMORY_MS = 30 * 86_400_000;
const PER_ACCOUNT = 32;
const ACCOUNTS = 100_000;

export class AccountAddresses {
  /** Map order is recency: the least recently seen account first. */
  private readonly byAccount = new Map<string, Map<string, number>>();

  note(userId: string, ipHash: string, nowMs: number): void {
    let seen = this.byAccount.get(userId);
    if (seen) this.byAccount.delete(userId);
    else seen = new Map();
    this.byAccount.set(userId, seen);
    seen.delete(ipHash);
    seen.set(ipHash, nowMs);
    if (seen.size > PER_ACCOUNT) seen.delete(seen.keys().next().value!);
    if (this.byAccount.size > ACCOUNTS) this.byAccount.delete(this.byAccount.keys().next().value!);
  }

  /** Whether the account was seen at the address within ADDRESS_MEMORY_MS. */
  has(userId: string, ipHash: string, nowMs: number): boolean {
    const at = this.byAccount.get(userId)?.get(ipHash);
    return at !== undefined && nowMs - at < ADDRESS_MEMORY_MS;
  }
}
