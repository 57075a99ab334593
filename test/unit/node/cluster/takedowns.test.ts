// What a node refuses, as its trackers' streams tell it: each tracker's
// list apart, a reset replacing only that tracker's, lifts and new
// references applied in order; responses under way cut by a takedown of
// their blob or link, and forgotten once they close.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { NodeTakedowns } from '../../../../node/cluster/takedowns.js';
import { BLOCKED_PER_LINE } from '../../../../common/protocol/takedowns.js';

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

t.test('a full batch of the longest entries fits in one stream line', async (t) => {
  const block = Array.from({ length: BLOCKED_PER_LINE }, (_, i) => ({ kind: 'blob' as const, id: i.toString(16).padStart(64, 'f'), ref: 'R'.repeat(128) }));
  const line = JSON.stringify({ type: 'takedowns', reset: true, block });
  t.ok(line.length < 60 * 1024, `${line.length} bytes`);
});

/** A response as the node holds it: destroying it closes it, as a socket's end does. */
class FakeResponse extends EventEmitter {
  readonly socket = null;
  destroyed = false;
  destroy(): void {
    this.destroyed = true;
    setImmediate(() => this.emit('close'));
  }
}

t.test('a takedown learnt cuts the responses under way for its blob or link, and only those', async (t) => {
  const d = new NodeTakedowns();
  const [a, b, c, done] = [new FakeResponse(), new FakeResponse(), new FakeResponse(), new FakeResponse()];
  d.watch('B1', 'L1', a);
  d.watch('B1', '', b);
  d.watch('B2', 'L2', c);
  d.watch('B1', 'L3', done);
  done.emit('close');
  t.equal(d.streamingOf('blob', 'B1'), 2, 'a finished response is forgotten');
  d.apply('A', { type: 'takedowns', block: [{ kind: 'link', id: 'L9' }, { kind: 'blob', id: 'B3' }] });
  t.notOk(a.destroyed || b.destroyed || c.destroyed, 'other ids cut nothing');
  d.apply('A', { type: 'takedowns', block: [{ kind: 'blob', id: 'B1', ref: 'N-1' }] });
  t.ok(a.destroyed && b.destroyed, 'every response of the blob');
  t.notOk(c.destroyed || done.destroyed, 'not another blob, not one that ended');
  await new Promise((r) => setImmediate(r));
  t.equal(d.streamingOf('link', 'L1'), 0, 'a cut response leaves its link set too');
  d.apply('B', { type: 'takedowns', reset: true, block: [{ kind: 'link', id: 'L2' }] });
  t.ok(c.destroyed, 'a link takedown, in a reset too');
});
