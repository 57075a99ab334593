import t from 'tap';
import { decideRange } from '../../../common/protocol/range.js';

const etag = '"abc"';
const lastModified = new Date('2026-01-01T00:00:00Z');
const base = { size: 1000, etag, lastModified };

// [range header, if-range, expected]
const cases: Array<[string | undefined, string | undefined, ReturnType<typeof decideRange>]> = [
  [undefined, undefined, { kind: 'full' }],
  ['bytes=0-99', undefined, { kind: 'partial', start: 0, end: 99 }],
  ['bytes=900-', undefined, { kind: 'partial', start: 900, end: 999 }],
  ['bytes=-100', undefined, { kind: 'partial', start: 900, end: 999 }],
  ['bytes=-5000', undefined, { kind: 'partial', start: 0, end: 999 }],
  ['bytes=990-2000', undefined, { kind: 'partial', start: 990, end: 999 }],
  ['bytes=1000-', undefined, { kind: 'unsatisfiable' }],
  ['bytes=5000-6000', undefined, { kind: 'unsatisfiable' }],
  ['bytes=0-9,20-29', undefined, { kind: 'full' }],
  ['bytes=0-9,5-29', undefined, { kind: 'partial', start: 0, end: 29 }],
  ['bytes=abc', undefined, { kind: 'full' }],
  ['items=0-5', undefined, { kind: 'full' }],
  // RFC 9110 §14.2: a Range that is not a valid bytes range set is ignored (200), never a 416.
  ['items=5000-6000', undefined, { kind: 'full' }],
  ['bytes=5-3', undefined, { kind: 'full' }],
  ['bytes=5-3,5000-6000', undefined, { kind: 'full' }],
  ['bytes=0-1,5-3', undefined, { kind: 'full' }],
  ['bytes=', undefined, { kind: 'full' }],
  ['bytes=0-9, 5-29', undefined, { kind: 'partial', start: 0, end: 29 }],
  ['bytes=0-99', '"abc"', { kind: 'partial', start: 0, end: 99 }],
  ['bytes=0-99', '"other"', { kind: 'full' }],
  ['bytes=0-99', 'W/"abc"', { kind: 'full' }],
  ['bytes=0-99', lastModified.toUTCString(), { kind: 'partial', start: 0, end: 99 }],
  ['bytes=0-99', new Date('2025-01-01').toUTCString(), { kind: 'full' }],
  ['bytes=' + Array.from({ length: 400 }, (_, i) => `${i * 2}-${i * 2}`).join(','), undefined, { kind: 'full' }],
];

for (const [range, ifRange, want] of cases) {
  t.same(decideRange({ ...base, range, ifRange }), want, `${range} / ${ifRange}`);
}

t.same(decideRange({ ...base, size: 0, range: 'bytes=0-' }), { kind: 'unsatisfiable' }, 'empty blob: any byte range is unsatisfiable');
t.same(decideRange({ ...base, size: 0 }), { kind: 'full' }, 'empty blob without range');
t.same(decideRange({ ...base, size: 0, range: 'items=0-1' }), { kind: 'full' }, 'empty blob: another unit is ignored');
t.same(decideRange({ ...base, size: 0, range: 'bytes=3-1' }), { kind: 'full' }, 'empty blob: an invalid range is ignored');
