// Field-by-field checks for JSON that arrives from outside (request bodies,
// manifests). Each check throws a HoardError naming the field, so nothing
// unchecked reaches a store.
import { HoardError, type ErrorCode } from './errors.js';

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
