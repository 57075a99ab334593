// Reading the small forms the site's pages post (sign in, register, tokens,
// premium keys): application/x-www-form-urlencoded, capped, as a browser
// sends it without any script.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import { declaredLength } from './body.js';

const FORM_LIMIT = 8 * 1024;

export async function readForm(req: IncomingMessage, res: ServerResponse): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new HoardError('BAD_REQUEST', 'Expected a form (application/x-www-form-urlencoded)');
  const len = declaredLength(req);
  if (len !== undefined && len > FORM_LIMIT) throw new HoardError('PAYLOAD_TOO_LARGE', `Form over ${FORM_LIMIT} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > FORM_LIMIT) throw new HoardError('PAYLOAD_TOO_LARGE', `Form over ${FORM_LIMIT} bytes`);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof HoardError) throw err;
    throw new HoardError('BODY_INCOMPLETE', 'The connection closed before the form ended', { cause: err });
  }
  // Fully read: the connection can be kept.
  res.removeHeader('connection');
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
