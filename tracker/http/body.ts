// Reading small JSON bodies: the size cap is checked on the declared length
// before anything is read, and `Expect: 100-continue` is honoured only here,
// so a request refused earlier (auth, validation) never has its body invited.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import { readJson } from '../../common/http.js';
import type { Match } from './handler.js';

export const SMALL_BODY = 16 * 1024;

export function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new HoardError('BAD_REQUEST', 'Content-Length is malformed');
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/**
 * The length a `PUT /upload` declares: Content-Length, else Hoard-Upload-Length,
 * which a proxy sets when it keeps the body from the tracker (the tracker never
 * reads it; see scripts/cluster/tracker-proxy.ts). Either is the client's word,
 * bound into the signed URL and enforced by the node.
 */
export function declaredUploadLength(req: IncomingMessage): number | undefined {
  const given = declaredLength(req);
  if (given !== undefined) return given;
  const raw = req.headers[UPLOAD_LENGTH_HEADER];
  if (raw === undefined || Array.isArray(raw)) return undefined;
  if (!/^\d+$/.test(raw)) throw new HoardError('BAD_REQUEST', 'Hoard-Upload-Length is malformed');
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/** Lower case, as Node gives request headers. */
export const UPLOAD_LENGTH_HEADER = 'hoard-upload-length';

export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (declaredLength(req) ?? 0) > 0;
}

/** The JSON body; on internal and admin routes it must be the body the credential vouches for (`m.bodyDigest`). */
export async function readBody(req: IncomingMessage, res: ServerResponse, m: Pick<Match, 'bodyDigest'>, limit = SMALL_BODY): Promise<unknown> {
  const len = declaredLength(req);
  if (len !== undefined && len > limit) throw new HoardError('PAYLOAD_TOO_LARGE', `JSON body over ${limit} bytes`);
  if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
  const body = await readJson<unknown>(req, limit, m.bodyDigest);
  // Fully read: the connection can be kept (server.ts marks requests with bodies close-by-default).
  res.removeHeader('connection');
  return body;
}

/** Reads a body the route does not need, when one was sent: it must still match the credential. */
export async function readOptionalBody(req: IncomingMessage, res: ServerResponse, m: Pick<Match, 'bodyDigest'>): Promise<void> {
  if (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') await readBody(req, res, m, 1024);
}
