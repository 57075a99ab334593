// What clients hold for sessions, API tokens and premium keys: `<id>.<secret>`.
// The id finds the record; the store keeps only the SHA-256 of the secret,
// compared in constant time, so a copy of the store signs nobody in.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface MintedSecret {
  id: string;
  /** What the client holds: `<id>.<secret>`. */
  value: string;
  /** Hex SHA-256 of the secret part, what the store keeps. */
  secretHash: string;
}

const ID_BYTES = 12;
const SECRET_BYTES = 32;
const VALUE_RE = /^([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A fresh id and secret; `prefix` (letters) marks what kind of secret it is for people reading it. */
export function mintSecret(prefix = ''): MintedSecret {
  const id = randomBytes(ID_BYTES).toString('base64url');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { id, value: `${prefix}${id}.${secret}`, secretHash: sha256(secret) };
}

/** The id and secret of a value held by a client, or undefined when it is not one. */
export function parseSecret(value: string, prefix = ''): { id: string; secret: string } | undefined {
  if (!value.startsWith(prefix)) return undefined;
  const m = VALUE_RE.exec(value.slice(prefix.length));
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** Whether a secret matches the stored hash (constant time). */
export function secretMatches(secret: string, secretHash: string): boolean {
  const got = Buffer.from(sha256(secret), 'hex');
  const want = Buffer.from(secretHash, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
