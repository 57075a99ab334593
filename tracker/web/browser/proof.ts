// The answer to a proof-of-possession challenge, computed in the browser
// with WebCrypto: HMAC-SHA-256 keyed by the nonce over the domain tag, the
// upload id, the size, then each range's bounds and bytes (docs/protocol.md,
// "The answer to a challenge"; common/proof.ts computes the same in Node).
// The ranges add up to about 68 KiB, so they are read whole.
import type { Challenge } from '../../../common/protocol/proof.js';

/** Reads bytes `start..end` (inclusive) of the file. */
export type ReadRange = (start: number, end: number) => Promise<Uint8Array>;

export async function answerChallenge(challenge: Challenge, uploadId: string, size: number, read: ReadRange): Promise<string> {
  const text = new TextEncoder();
  const parts: Uint8Array[] = [text.encode(`hoard-proof-v1\0${uploadId}\0${size}\0`)];
  for (const [start, end] of challenge.ranges) {
    parts.push(text.encode(`${start}-${end}\0`));
    const bytes = await read(start, end);
    // A short read would make a valid-looking but wrong answer; say so instead.
    if (bytes.length !== end - start + 1) throw new RangeError(`range ${start}-${end} read ${bytes.length} bytes`);
    parts.push(bytes);
  }
  const key = await crypto.subtle.importKey('raw', fromBase64url(challenge.nonce), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, concat(parts));
  return toBase64url(new Uint8Array(mac));
}

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function fromBase64url(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function toBase64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
