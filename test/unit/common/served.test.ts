// Served byte ranges: merged when they overlap or touch, bounded in number.
import t from 'tap';
import { addRange, coveredBytes, coversWhole, mergeRanges, SERVED_RANGES_MAX, type ServedRange } from '../../../common/protocol/served.js';

t.test('addRange keeps ranges sorted and merged', async (t) => {
  const table: Array<[string, ServedRange[], [number, number], ServedRange[]]> = [
    ['into nothing', [], [5, 9], [[5, 9]]],
    ['touching on the right', [[0, 4]], [5, 9], [[0, 9]]],
    ['touching on the left', [[5, 9]], [0, 4], [[0, 9]]],
    ['apart', [[0, 3]], [5, 9], [[0, 3], [5, 9]]],
    ['before all', [[10, 19]], [0, 3], [[0, 3], [10, 19]]],
    ['bridging two', [[0, 3], [8, 9]], [4, 7], [[0, 9]]],
    ['inside one', [[0, 9]], [2, 3], [[0, 9]]],
    ['over several', [[1, 2], [4, 5], [7, 8]], [0, 9], [[0, 9]]],
    ['an empty range adds nothing', [[0, 3]], [5, 4], [[0, 3]]],
  ];
  for (const [what, ranges, [s, e], want] of table) t.same(addRange(ranges, s, e), want, what);
});

t.test('mergeRanges, coversWhole, coveredBytes', async (t) => {
  const a: ServedRange[] = [[0, 49]];
  const b: ServedRange[] = [[50, 99]];
  t.same(mergeRanges(a, b), [[0, 99]], 'two nodes, one file');
  t.ok(coversWhole(mergeRanges(a, b), 100));
  t.notOk(coversWhole(a, 100));
  t.equal(coveredBytes([[0, 9], [20, 29]]), 20);
});

t.test('a download in too many pieces keeps its first ones', async (t) => {
  let r: ServedRange[] = [];
  for (let i = 0; i < SERVED_RANGES_MAX + 10; i++) r = addRange(r, i * 10, i * 10 + 4);
  t.equal(r.length, SERVED_RANGES_MAX);
  t.same(addRange(r, 5, 9)[0], [0, 14], 'a piece that merges is still taken');
});
