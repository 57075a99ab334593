// Download leases as pure rules: a caller of a tier limited to one file at a
// time holds at most one live lease, for one blob. Asking again for the same
// blob (another range, another connection, a resume) gets the same lease;
// asking for another blob while it lives is refused with the time to wait.

export interface Lease {
  /** Signed into the node URL; nodes report it served or ended. */
  id: string;
  /** callerKey: the account, else the address. */
  holder: string;
  blobId: string;
  /** The file name the holder is downloading (for the refusal's words). */
  filename: string;
  /** Unix ms after which the lease is gone unless a node renews it. */
  expires: number;
}

export type LeaseDecision =
  | { kind: 'grant'; lease: Lease }
  | { kind: 'reuse'; lease: Lease }
  | { kind: 'busy'; lease: Lease; retryAfterS: number };

export interface LeaseAsk {
  holder: string;
  blobId: string;
  filename: string;
  nowMs: number;
  /** How long a lease lives without a node's report. */
  ttlMs: number;
  /** The id a new lease gets. */
  newId: string;
}

/**
 * The most Retry-After a refusal names: a lease is released at the first
 * heartbeat after its transfer ends (seconds), long before it would expire.
 */
export const RETRY_AFTER_MAX_S = 5;

export const isLive = (l: Lease, nowMs: number): boolean => l.expires > nowMs;

export function decideLease(current: Lease | undefined, ask: LeaseAsk): LeaseDecision {
  if (current === undefined || !isLive(current, ask.nowMs)) {
    return { kind: 'grant', lease: { id: ask.newId, holder: ask.holder, blobId: ask.blobId, filename: ask.filename, expires: ask.nowMs + ask.ttlMs } };
  }
  if (current.blobId === ask.blobId) return { kind: 'reuse', lease: { ...current, expires: Math.max(current.expires, ask.nowMs + ask.ttlMs) } };
  return { kind: 'busy', lease: current, retryAfterS: Math.min(RETRY_AFTER_MAX_S, Math.max(1, Math.ceil((current.expires - ask.nowMs) / 1000))) };
}

/** A lease a node reports still served lives another `ttlMs` from now. */
export const renewLease = (l: Lease, nowMs: number, ttlMs: number): Lease => ({ ...l, expires: Math.max(l.expires, nowMs + ttlMs) });
