// Byte ranges served under one download id, as nodes keep them and the
// tracker adds them up: sorted, inclusive, merged when they overlap or
// touch. A download counts once its ranges, from every node and connection,
// cover the whole file (docs/rewards.md).

export type ServedRange = [start: number, end: number];

/** Most ranges kept per download: a download in more pieces than this is not counted (its further pieces are dropped). */
export const SERVED_RANGES_MAX = 256;

/** `ranges` (sorted, merged) with [start, end] added; a new piece past SERVED_RANGES_MAX is dropped. */
export function addRange(ranges: readonly ServedRange[], start: number, end: number): ServedRange[] {
  if (!(end >= start) || start < 0) return [...ranges];
  const out: ServedRange[] = [];
  let s = start;
  let e = end;
  let placed = false;
  for (const [a, b] of ranges) {
    if (b + 1 < s) out.push([a, b]);
    else if (e + 1 < a) {
      if (!placed) {
        out.push([s, e]);
        placed = true;
      }
      out.push([a, b]);
    } else {
      s = Math.min(s, a);
      e = Math.max(e, b);
    }
  }
  if (!placed) out.push([s, e]);
  if (out.length > SERVED_RANGES_MAX) return [...ranges];
  out.sort((x, y) => x[0] - y[0]);
  return out;
}

/** The union of two range lists. */
export function mergeRanges(a: readonly ServedRange[], b: readonly ServedRange[]): ServedRange[] {
  let out = [...a];
  for (const [s, e] of b) out = addRange(out, s, e);
  return out;
}

/** True when the ranges cover every byte of a file of `size` bytes (never for an empty file: nothing was served). */
export const coversWhole = (ranges: readonly ServedRange[], size: number): boolean =>
  size > 0 && ranges.length === 1 && ranges[0]![0] <= 0 && ranges[0]![1] >= size - 1;

/** Bytes the ranges cover. */
export const coveredBytes = (ranges: readonly ServedRange[]): number => ranges.reduce((n, [s, e]) => n + e - s + 1, 0);
