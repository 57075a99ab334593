// A node's served ranges per download id: merged, reported whole while
// fresh (every beat), forgotten after.
import t from 'tap';
import { SERVED_REPORT_MS, ServedBook } from '../../../../node/egress/served.js';

t.test('ServedBook', async (t) => {
  let now = 1000;
  const book = new ServedBook(() => now);
  const blob = 'a'.repeat(64);
  book.add('D1', blob, 0, 49);
  book.add('D1', blob, 50, 99);
  book.add('D2', blob, 10, 19);
  t.same(book.report(), [
    { id: 'D1', blob, ranges: [[0, 99]] },
    { id: 'D2', blob, ranges: [[10, 19]] },
  ]);
  t.equal(book.report().length, 2, 'reported again at the next beat (a lost beat loses nothing)');
  now += SERVED_REPORT_MS - 1;
  book.add('D2', blob, 30, 39);
  now += 1;
  t.same(book.report(), [{ id: 'D2', blob, ranges: [[10, 19], [30, 39]] }], 'D1 went quiet and is forgotten');
  t.equal(book.size, 1);
  book.add('D2', 'b'.repeat(64), 0, 9);
  t.same(book.report(), [{ id: 'D2', blob: 'b'.repeat(64), ranges: [[0, 9]] }], 'another blob under the same id starts afresh');
});
