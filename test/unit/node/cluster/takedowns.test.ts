// What a node refuses, as its trackers' streams tell it: each tracker's
// list apart, a reset replacing only that tracker's, lifts and new
// references applied in order.
import t from 'tap';
import { NodeTakedowns } from '../../../../node/cluster/takedowns.js';

t.test('blocks, lifts and resets per tracker', async (t) => {
  const d = new NodeTakedowns();
  t.equal(d.blob('B1'), undefined);
  d.apply('A', { type: 'takedowns', reset: true, block: [{ kind: 'blob', id: 'B1', ref: 'N-1' }, { kind: 'link', id: 'L1' }] });
  t.equal(d.blob('B1'), 'N-1');
  t.equal(d.link('L1'), '', 'a notice without a reference');
  t.equal(d.link('B1'), undefined, 'kinds are kept apart');
  d.apply('B', { type: 'takedowns', reset: true, block: [{ kind: 'blob', id: 'B2' }] });
  d.apply('A', { type: 'takedowns', lift: [{ kind: 'blob', id: 'B1' }], block: [{ kind: 'link', id: 'L1', ref: 'N-2' }] });
  t.equal(d.blob('B1'), undefined, 'lifted');
  t.equal(d.link('L1'), 'N-2', 'a new reference');
  d.apply('A', { type: 'takedowns', reset: true, block: [] });
  t.equal(d.link('L1'), undefined, "a reset replaces that tracker's list");
  t.equal(d.blob('B2'), '', "and leaves the other tracker's");
  d.apply('A', { type: 'takedowns', block: [{ kind: 'blob', id: 'B2', ref: 'N-3' }] });
  d.apply('B', { type: 'takedowns', lift: [{ kind: 'blob', id: 'B2' }] });
  t.equal(d.blob('B2'), 'N-3', 'refused while any tracker lists it');
});
