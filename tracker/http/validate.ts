// Field-by-field checks for everything that arrives from outside. Each check
// throws a HoardError naming the field; nothing unchecked reaches the store.
import { HoardError, type ErrorCode } from '../../common/protocol/errors.js';

export type Json = Record<string, unknown>;

export function object(v: unknown, what = 'body'): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HoardError('BAD_REQUEST', `${what} must be a JSON object`);
  return v as Json;
}

export function str(o: Json, key: string, re: RegExp, code: ErrorCode = 'BAD_REQUEST'): string {
  const v = o[key];
  if (typeof v !== 'string' || !re.test(v)) throw new HoardError(code, `${key} is missing or malformed`);
  return v;
}

export function int(o: Json, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new HoardError('BAD_REQUEST', `${key} must be an integer in [${min}, ${max}]`);
  }
  return v;
}

export function optionalInt(o: Json, key: string, min: number, max?: number): number | undefined {
  return o[key] === undefined || o[key] === null ? undefined : int(o, key, min, max);
}

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
