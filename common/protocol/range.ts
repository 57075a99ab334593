// One place that decides what part of a blob a GET answers with (RFC 9110 §14).
import parseRange from 'range-parser';

export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

export interface RangeInput {
  size: number;
  range?: string;
  ifRange?: string;
  etag: string;
  lastModified: Date;
}

/**
 * Single ranges in every form (`a-b`, `a-`, `-n`) give a partial answer.
 * Several ranges, once overlapping ones are merged, give the full 200: a
 * multipart answer buys a download manager nothing and invites
 * hundreds-of-parts amplification. A header that is not a valid `bytes`
 * range set (another unit, `bytes=5-3`, garbage) is ignored, as RFC 9110
 * §14.2 says; a valid one that starts past the end is a 416.
 */
export function decideRange(input: RangeInput): RangeDecision {
  const { size, range } = input;
  if (!range) return { kind: 'full' };
  if (input.ifRange !== undefined && !ifRangeMatches(input.ifRange, input.etag, input.lastModified)) {
    return { kind: 'full' };
  }
  // range-parser has no cap on the number of ranges; a long header is not a real client.
  if (range.length > 1024) return { kind: 'full' };
  // Only a well-formed byte range set can be unsatisfiable; anything else is no Range at all.
  if (!isByteRangeSet(range)) return { kind: 'full' };
  if (size === 0) return { kind: 'unsatisfiable' };
  // The common `bytes=a-b` inside the blob, decided without the general parser (ranged-read profiles).
  const simple = SIMPLE_RANGE.exec(range);
  if (simple) {
    const start = Number(simple[1]);
    const end = Number(simple[2]);
    if (start <= end && end < size) return { kind: 'partial', start, end };
  }
  const parsed = parseRange(size, clampSuffixes(range, size), { combine: true });
  if (parsed === -2) return { kind: 'full' }; // malformed: ignore the header
  if (parsed === -1) return { kind: 'unsatisfiable' };
  if (parsed.type !== 'bytes' || parsed.length !== 1) return { kind: 'full' };
  const r = parsed[0]!;
  return { kind: 'partial', start: r.start, end: r.end };
}

const SIMPLE_RANGE = /^bytes=(\d{1,15})-(\d{1,15})$/;
const RANGE_SPEC = /^\s*(?:(\d{1,15})-(\d{0,15})|-\d{1,15})\s*$/;

/** RFC 9110 §14.1.1: `bytes=` then int-range (first ≤ last), open or suffix ranges, comma-separated. */
function isByteRangeSet(range: string): boolean {
  if (!range.startsWith('bytes=')) return false;
  let any = false;
  for (const spec of range.slice(6).split(',')) {
    // Empty list elements are allowed around commas (RFC 9110 §5.6.1).
    if (spec.trim() === '') continue;
    const m = RANGE_SPEC.exec(spec);
    if (!m) return false;
    if (m[1] !== undefined && m[2] !== '' && Number(m[1]) > Number(m[2])) return false;
    any = true;
  }
  return any;
}

/** If-Range: a strong ETag must match exactly; an HTTP date must equal Last-Modified. */
function ifRangeMatches(ifRange: string, etag: string, lastModified: Date): boolean {
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag;
  const t = Date.parse(v);
  return Number.isFinite(t) && Math.floor(t / 1000) === Math.floor(lastModified.getTime() / 1000);
}

/** RFC 9110 §14.1.3: a suffix longer than the representation means all of it; range-parser calls it unsatisfiable. */
function clampSuffixes(range: string, size: number): string {
  return range.replace(/(^bytes=|,)\s*-(\d+)\s*(?=,|$)/g, (m, lead: string, n: string) => (Number(n) > size ? `${lead}0-` : m));
}
