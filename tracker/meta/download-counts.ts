// A batch of download counts as every back end takes it: whole positive
// numbers per link, ids that cannot name a link dropped, in id order (the
// same batch writes the same way on every back end).
import { isRecordId } from './records.js';

export function countsToAdd(counts: ReadonlyMap<string, number>): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [id, n] of counts) {
    if (!Number.isSafeInteger(n) || n <= 0) throw new TypeError(`invalid download count ${n} for link ${JSON.stringify(id)}`);
    if (isRecordId(id)) out.push([id, n]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
