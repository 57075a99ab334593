// The counters' one rule, as a table of record before/after pairs.
import t from 'tap';
import { addCounters, counterDelta } from '../../../../tracker/meta/counters.js';
import type { BlobRecord, CountedChange, LinkRecord, StoreCounters } from '../../../../tracker/meta/records.js';

const blob = (size: number, nodes: number, refs: number): BlobRecord => ({
  id: 'b',
  md5: 'm',
  sha256: 'b',
  size,
  chunkSize: 64,
  chunks: 1,
  nodes: Array.from({ length: nodes }, (_, i) => `n${i}`),
  refs,
  created: '',
});
const link: LinkRecord = { id: 'l', blobId: 'b', filename: 'f', created: '' };
const c = (blobs: number, links: number, bytesStored: number, logicalBytes: number, uniqueBytes: number): StoreCounters => ({ blobs, links, bytesStored, logicalBytes, uniqueBytes });

const cases: Array<[string, CountedChange[], StoreCounters]> = [
  ['nothing', [], c(0, 0, 0, 0, 0)],
  ['a new blob with its first link', [{ type: 'link', before: undefined, after: link }, { type: 'blob', before: undefined, after: blob(100, 2, 1) }], c(1, 1, 200, 100, 100)],
  ['a second link to a stored blob', [{ type: 'link', before: undefined, after: link }, { type: 'blob', before: blob(100, 2, 1), after: blob(100, 2, 2) }], c(0, 1, 0, 100, 0)],
  ['a link goes', [{ type: 'link', before: link, after: undefined }, { type: 'blob', before: blob(100, 1, 2), after: blob(100, 1, 1) }], c(0, -1, 0, -100, 0)],
  ['a link to a missing blob goes', [{ type: 'link', before: link, after: undefined }], c(0, -1, 0, 0, 0)],
  ['a holder more', [{ type: 'blob', before: blob(100, 1, 1), after: blob(100, 2, 1) }], c(0, 0, 100, 0, 0)],
  ['every holder gone', [{ type: 'blob', before: blob(100, 3, 1), after: blob(100, 0, 1) }], c(0, 0, -300, 0, 0)],
  // The last link goes: the content stays until GC but no longer counts as unique content (dedup saved never goes negative).
  ['the last link goes', [{ type: 'link', before: link, after: undefined }, { type: 'blob', before: blob(100, 1, 1), after: blob(100, 1, 0) }], c(0, -1, 0, -100, -100)],
  ['a blob awaiting GC linked again', [{ type: 'link', before: undefined, after: link }, { type: 'blob', before: blob(100, 1, 0), after: blob(100, 1, 1) }], c(0, 1, 0, 100, 100)],
  ['an unlinked blob deleted', [{ type: 'blob', before: blob(100, 2, 0), after: undefined }], c(-1, 0, -200, 0, 0)],
  ['a record rewritten as it was', [{ type: 'blob', before: blob(5, 1, 1), after: blob(5, 1, 1) }, { type: 'link', before: link, after: link }], c(0, 0, 0, 0, 0)],
];

t.test('counterDelta', async (t) => {
  for (const [name, changes, want] of cases) t.same(counterDelta(changes), want, name);
});

t.test('dedup saved (logical − unique) never goes negative', async (t) => {
  // Two links to a 3 MiB blob, one link to a 100 KiB one; then both links of the big one go.
  const big = 3 * 1024 ** 2;
  const small = 100 * 1024;
  let total = counterDelta([
    { type: 'blob', before: undefined, after: blob(big, 1, 2) },
    { type: 'blob', before: undefined, after: blob(small, 1, 1) },
  ]);
  t.equal(total.logicalBytes - total.uniqueBytes, big);
  total = addCounters(total, counterDelta([{ type: 'blob', before: blob(big, 1, 2), after: blob(big, 1, 0) }]));
  t.equal(total.logicalBytes - total.uniqueBytes, 0, 'nothing saved once the shared content lost its links');
});

t.test('addCounters', async (t) => {
  t.same(addCounters(c(1, 2, 3, 4, 5), c(-1, 1, -3, 0, 10)), c(0, 3, 0, 4, 15));
});
