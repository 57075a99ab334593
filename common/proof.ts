// Proof of possession, the parts that need Node's crypto and files: drawing
// a challenge, the HMAC over the challenged ranges, and answering from a
// local file. The wire form (Challenge, its header) is in protocol/proof.ts.
import { createHmac, randomBytes, randomInt, type Hmac } from 'node:crypto';
import { open } from 'node:fs/promises';
import { PROOF_RANGE_BYTES, PROOF_STRATA, type Challenge, type RangeReader } from './protocol/proof.js';
import { equalConstantTime } from './sign.js';

const NONCE_BYTES = 32;

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

  update(buf: Uint8Array): void {
    this.mac.update(buf);
  }

  digest(): string {
    return this.mac.digest('base64url');
  }
}

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
