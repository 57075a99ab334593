// The store's counters follow its records: each transaction adds what its
// blob and link changes add up to, computed here and nowhere else.
import type { BlobRecord, CountedChange, StoreCounters } from './records.js';
import { zeroCounters } from './records.js';

const stored = (b: BlobRecord | undefined) => (b ? b.size * b.nodes.length : 0);
const logical = (b: BlobRecord | undefined) => (b ? b.size * b.refs : 0);
const present = (r: unknown) => (r === undefined ? 0 : 1);
/** A content counts once while a link reaches it: a blob awaiting GC saves nobody anything. */
const linked = (b: BlobRecord | undefined) => (b && b.refs > 0 ? b.size : 0);

/** What the counters gain (or lose) from these before/after pairs. */
export function counterDelta(changes: readonly CountedChange[]): StoreCounters {
  const d = zeroCounters();
  for (const c of changes) {
    if (c.type === 'link') {
      d.links += present(c.after) - present(c.before);
      continue;
    }
    const { before, after } = c;
    d.blobs += present(after) - present(before);
    d.bytesStored += stored(after) - stored(before);
    d.logicalBytes += logical(after) - logical(before);
    d.uniqueBytes += linked(after) - linked(before);
  }
  return d;
}

export function addCounters(a: StoreCounters, b: StoreCounters): StoreCounters {
  return {
    blobs: a.blobs + b.blobs,
    links: a.links + b.links,
    bytesStored: a.bytesStored + b.bytesStored,
    logicalBytes: a.logicalBytes + b.logicalBytes,
    uniqueBytes: a.uniqueBytes + b.uniqueBytes,
  };
}
