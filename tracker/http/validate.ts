// Checks of what only HTTP requests carry: a node's public URL and paging
// query parameters (JSON field checks are in common/protocol/fields.ts).
import { HoardError } from '../../common/protocol/errors.js';
import type { Json } from '../../common/protocol/fields.js';

/** A node's public base URL: http(s), no credentials, query or fragment; no trailing slash. */
export function publicUrl(o: Json, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length > 2048) throw new HoardError('BAD_REQUEST', `${key} must be a URL`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new HoardError('BAD_REQUEST', `${key} must be a URL`);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || u.search || u.hash) {
    throw new HoardError('BAD_REQUEST', `${key} must be a plain http(s) URL`);
  }
  return u.toString().replace(/\/+$/, '');
}

/** `limit` (1..1000, default 100) and `after` (checked against `afterRe`) from a query string. */
export function page(url: URL, afterRe: RegExp): { limit: number; after?: string } {
  const rawLimit = url.searchParams.get('limit');
  let limit = 100;
  if (rawLimit !== null) {
    limit = /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : 0;
    if (limit < 1 || limit > 1000) throw new HoardError('BAD_REQUEST', 'limit must be an integer in [1, 1000]');
  }
  const after = url.searchParams.get('after') ?? undefined;
  if (after !== undefined && !afterRe.test(after)) throw new HoardError('BAD_REQUEST', 'after is malformed');
  return after === undefined ? { limit } : { limit, after };
}
