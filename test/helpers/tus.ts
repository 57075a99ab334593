// Raw tus requests for tests that play a client (honest or not): creation at
// the tracker, HEAD and PATCH at the node, with hoard's headers by hand.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'undici';
import { parseChallenge, type Challenge } from '../../common/protocol/proof.js';
import { formatMetadata, TUS_H, TUS_VERSION } from '../../common/protocol/tus.js';
import { TUS_TRACKER } from '../../common/protocol/routes.js';

export interface TusAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface Created extends TusAnswer {
  url: string;
  uploadId: string;
  challenge: Challenge | undefined;
}

export interface Declared {
  /** Upload-Length (absent for a final upload, which takes its parts'). */
  size?: number;
  /** Upload-Concat. */
  concat?: string;
  md5?: string;
  sha256?: string;
  filename?: string;
}

function flat(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export async function tusCreate(tracker: string, d: Declared): Promise<Created> {
  const meta: Record<string, string> = { filename: d.filename ?? 'upload.bin' };
  if (d.md5) meta.md5 = d.md5;
  if (d.sha256) meta.sha256 = d.sha256;
  const res = await request(tracker + TUS_TRACKER.create, {
    method: 'POST',
    headers: {
      [TUS_H.resumable]: TUS_VERSION,
      ...(d.size !== undefined ? { [TUS_H.length]: String(d.size) } : {}),
      ...(d.concat !== undefined ? { [TUS_H.concat]: d.concat } : {}),
      [TUS_H.metadata]: formatMetadata(meta),
    },
    reset: true,
    headersTimeout: 60_000,
  });
  const text = await res.body.text();
  const headers = flat(res.headers);
  const url = headers.location ?? '';
  return { status: res.statusCode, headers, text, url, uploadId: url.split('/').pop() ?? '', challenge: parseChallenge(headers[TUS_H.challenge], d.size ?? 0) };
}

export async function tusHead(url: string): Promise<TusAnswer> {
  const res = await request(url, { method: 'HEAD', headers: { [TUS_H.resumable]: TUS_VERSION }, reset: true });
  return { status: res.statusCode, headers: flat(res.headers), text: await res.body.text() };
}

export async function tusPatch(url: string, offset: number, body: Buffer, extra: Record<string, string> = {}): Promise<TusAnswer> {
  const res = await request(url, {
    method: 'PATCH',
    headers: {
      [TUS_H.resumable]: TUS_VERSION,
      [TUS_H.offset]: String(offset),
      'content-type': 'application/offset+octet-stream',
      'content-length': String(body.length),
      ...extra,
    },
    body,
    reset: true,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  return { status: res.statusCode, headers: flat(res.headers), text: await res.body.text() };
}

/** A well-formed proof value that proves nothing. */
export const bogusProof = (): string => randomBytes(32).toString('base64url');

export const md5Of = (b: Buffer): string => createHash('md5').update(b).digest('hex');
export const sha256Of = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
