// Proof of possession: the server picks random byte ranges over the whole
// file and a fresh nonce; whoever holds the bytes answers with an HMAC keyed
// by the nonce over those ranges. A declared hash, a size or a prefix do not
// let anyone compute it, and a nonce is good for one upload, once.

/** Ranges per challenge: one in each sixteenth of the file, plus the tail. */
export const PROOF_STRATA = 16;
export const PROOF_RANGE_BYTES = 4096;
const MAC_RE = /^[A-Za-z0-9_-]{43}$/;

export interface Challenge {
  /** base64url, 32 random bytes: the HMAC key. */
  nonce: string;
  /** Inclusive byte ranges, in file order. */
  ranges: Array<[number, number]>;
}

/** The Hoard-Challenge header value: `v=1; nonce=<b64url>; ranges=a-b,c-d,…`. */
export function formatChallenge(c: Challenge): string {
  return `v=1; nonce=${c.nonce}; ranges=${c.ranges.map(([a, b]) => `${a}-${b}`).join(',')}`;
}

/** Parses a Hoard-Challenge header; undefined when malformed or outside a file of `size` bytes. */
export function parseChallenge(header: string | undefined, size: number): Challenge | undefined {
  if (!header || header.length > 4096) return undefined;
  const m = /^v=1; nonce=([A-Za-z0-9_-]{43}); ranges=((?:\d{1,16}-\d{1,16},?){1,64})$/.exec(header.trim());
  if (!m) return undefined;
  const ranges: Array<[number, number]> = [];
  for (const part of m[2]!.split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number) as [number, number];
    if (!(a <= b && b < size && b - a < 1 << 20)) return undefined;
    ranges.push([a, b]);
  }
  return ranges.length ? { nonce: m[1]!, ranges } : undefined;
}

/** True for a well-formed Hoard-Proof value (base64url HMAC-SHA-256). */
export function isProofValue(v: unknown): v is string {
  return typeof v === 'string' && MAC_RE.test(v);
}

/** Reads `start..end` (inclusive) of some source, in pieces. */
export type RangeReader = (start: number, end: number) => AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
