// Proof of possession: the server picks random byte ranges over the whole
// file and a fresh nonce; whoever holds the bytes answers with an HMAC keyed
// by the nonce over those ranges. A declared hash, a size or a prefix do not
// let anyone compute it, and a nonce is good for one upload, once.
import { createHmac, randomBytes, randomInt, type Hmac } from 'node:crypto';
import { equalConstantTime } from './sign.js';
import { open } from 'node:fs/promises';

/** Ranges per challenge: one in each sixteenth of the file, plus the tail. */
export const PROOF_STRATA = 16;
export const PROOF_RANGE_BYTES = 4096;
const NONCE_BYTES = 32;
const MAC_RE = /^[A-Za-z0-9_-]{43}$/;

export interface Challenge {
  /** base64url, 32 random bytes: the HMAC key. */
  nonce: string;
  /** Inclusive byte ranges, in file order. */
  ranges: Array<[number, number]>;
}

/**
 * One range drawn uniformly inside each of PROOF_STRATA equal slices of the
 * file (so every part of it is sampled, however large), plus its last bytes.
 * The shape depends only on `size`: it tells nothing about stored content.
 */
export function makeChallenge(size: number, rand: (max: number) => number = randomInt): Challenge {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError('a challenge needs a non-empty file');
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < PROOF_STRATA; i++) {
    const lo = Math.floor((i * size) / PROOF_STRATA);
    const hi = Math.floor(((i + 1) * size) / PROOF_STRATA);
    if (hi <= lo) continue;
    const len = Math.min(PROOF_RANGE_BYTES, hi - lo);
    const start = lo + (hi - lo - len > 0 ? rand(hi - lo - len + 1) : 0);
    ranges.push([start, start + len - 1]);
  }
  const tail = Math.min(PROOF_RANGE_BYTES, size);
  ranges.push([size - tail, size - 1]);
  return { nonce: randomBytes(NONCE_BYTES).toString('base64url'), ranges };
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

/**
 * HMAC-SHA-256 keyed by the nonce over a domain tag, the upload id, the file
 * size, then each range's bounds and bytes. The upload id binds an answer to
 * the one upload it was asked for.
 */
export class ProofMac {
  private readonly mac: Hmac;

  constructor(challenge: Challenge, uploadId: string, size: number) {
    this.mac = createHmac('sha256', Buffer.from(challenge.nonce, 'base64url'));
    this.mac.update(`hoard-proof-v1\0${uploadId}\0${size}\0`);
  }

  /** Call before each range's bytes. */
  range(start: number, end: number): void {
    this.mac.update(`${start}-${end}\0`);
  }

  update(buf: Buffer): void {
    this.mac.update(buf);
  }

  digest(): string {
    return this.mac.digest('base64url');
  }
}

/** Reads `start..end` (inclusive) of some source, in pieces. */
export type RangeReader = (start: number, end: number) => AsyncIterable<Buffer> | Promise<AsyncIterable<Buffer>>;

export async function computeProof(challenge: Challenge, uploadId: string, size: number, read: RangeReader): Promise<string> {
  const mac = new ProofMac(challenge, uploadId, size);
  for (const [start, end] of challenge.ranges) {
    mac.range(start, end);
    let got = 0;
    for await (const buf of await read(start, end)) {
      mac.update(buf);
      got += buf.length;
    }
    // A short read would make a valid-looking but wrong answer; say so instead.
    if (got !== end - start + 1) throw new RangeError(`range ${start}-${end} read ${got} bytes`);
  }
  return mac.digest();
}

/** The answer computed from a local file. */
export async function proofFromFile(path: string, challenge: Challenge, uploadId: string, size: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    return await computeProof(challenge, uploadId, size, async function* (start, end) {
      const buf = Buffer.alloc(end - start + 1);
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      yield buf.subarray(0, off);
    });
  } finally {
    await fh.close();
  }
}

/** Constant-time comparison of two proof values. */
export const proofsEqual = equalConstantTime;
