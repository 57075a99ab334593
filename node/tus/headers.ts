// Headers every tus answer from a node carries, and the checks every tus
// request but OPTIONS passes first. CORS headers are the router's.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import { formatChallenge } from '../../common/protocol/proof.js';
import { formatMetadata, TUS_CHECKSUMS, TUS_H, TUS_VERSION, type TusChecksum } from '../../common/protocol/tus.js';
import type { LiveUpload } from './service.js';

export function checkTusRequest(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('tus-resumable', TUS_VERSION);
  res.setHeader('cache-control', 'no-store');
  if (req.headers[TUS_H.resumable] !== TUS_VERSION) {
    res.setHeader('tus-version', TUS_VERSION);
    throw new HoardError('TUS_VERSION_UNSUPPORTED');
  }
}

/**
 * Offset, length, expiry, metadata; the challenge while it can still be
 * answered; the link once the upload ended. Until a proof passed, nothing
 * here depends on whether the declared content is stored.
 */
export function uploadHeaders(live: LiveUpload): OutgoingHttpHeaders {
  const s = live.state;
  const meta: Record<string, string> = { filename: s.filename };
  if (s.declared) Object.assign(meta, s.declared);
  const h: OutgoingHttpHeaders = {
    [TUS_H.offset]: String(s.offset),
    [TUS_H.length]: String(s.length),
    [TUS_H.metadata]: formatMetadata(meta),
  };
  if (s.partial) h[TUS_H.concat] = 'partial';
  if (s.result) {
    h[TUS_H.link] = s.result.link;
    h[TUS_H.linkId] = s.result.id;
    h[TUS_H.dedup] = s.result.dedup ? '1' : '0';
  } else {
    h[TUS_H.expires] = new Date(s.expires).toUTCString();
    if (s.challenge && !s.proofTried) h[TUS_H.challenge] = formatChallenge(s.challenge);
  }
  return h;
}

/** Upload-Checksum: `<algorithm> <base64 digest>`; 400 for an algorithm not offered. */
export function parseChecksum(req: IncomingMessage): { algo: TusChecksum; digest: string } | undefined {
  const raw = req.headers[TUS_H.checksum];
  if (raw === undefined) return undefined;
  const m = typeof raw === 'string' ? /^([a-z0-9-]+) ([A-Za-z0-9+/]+={0,2})$/.exec(raw.trim()) : null;
  if (!m) throw new HoardError('BAD_REQUEST', 'Upload-Checksum must be "<algorithm> <base64 digest>"');
  const algo = TUS_CHECKSUMS.find((a) => a === m[1]);
  if (!algo) throw new HoardError('BAD_REQUEST', `checksum algorithm ${m[1]} is not supported (${TUS_CHECKSUMS.join(', ')})`);
  return { algo, digest: m[2]! };
}

export function numberHeader(req: IncomingMessage, name: string): number | undefined {
  const raw = req.headers[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw)) throw new HoardError('BAD_REQUEST', `${name} is not a number`);
  return Number(raw);
}
