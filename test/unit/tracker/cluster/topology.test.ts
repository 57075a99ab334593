// Node liveness at the tracker: a closed stream is down at once and stays
// down whatever heartbeats still arrive, a newer stream replaces an older
// one, heartbeats that stop make a node late and then down (its stream is
// ended), and every change is told once, as it happens.
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { NodeRegistration, NodeStreamEvent } from '../../../../common/protocol/types.js';
import { NodeStreams, type StreamSink } from '../../../../tracker/cluster/node-streams.js';
import { Topology, type NodeChange } from '../../../../tracker/cluster/topology.js';
import { openMetaStore } from '../../../../tracker/meta/open.js';

const reg = (id: string): NodeRegistration => ({ id, zone: 'z', publicUrl: `http://${id}`, freeBytes: 1, totalBytes: 2 });
const beat = (id: string) => ({ id, freeBytes: 1, totalBytes: 2, load: 0, blobCount: 0 });

class Sink implements StreamSink {
  sent: NodeStreamEvent[] = [];
  closed = false;
  private fns: Array<() => void> = [];
  send(e: NodeStreamEvent) {
    if (!this.closed) this.sent.push(e);
  }
  end() {
    this.hangUp();
  }
  onClose(fn: () => void) {
    this.fns.push(fn);
  }
  /** The connection goes (either side). */
  hangUp() {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.fns) f();
  }
}

async function setup(t: Test) {
  const store = await openMetaStore('level:' + join(t.testdir(), 'meta'));
  t.teardown(() => store.close());
  let now = 1_000_000;
  const topo = new Topology(store, { downAfterMs: 6_000, lateAfterMs: 3_000, now: () => now });
  await topo.load();
  const changes: NodeChange[] = [];
  topo.onChange((c) => changes.push(c));
  const streams = new NodeStreams(topo, 1_000_000);
  return { topo, streams, changes, tick: (ms: number) => (now += ms) };
}

t.test('a stream closing marks its node down at once; heartbeats do not bring it back, a registration does', async (t) => {
  const { topo, streams, changes, tick } = await setup(t);
  const s = new Sink();
  await streams.add(reg('a'), s);
  t.equal(topo.get('a')?.state, 'up');
  t.equal(topo.get('a')?.streaming, true);
  t.same(changes.map((c) => [c.id, c.state, c.cause]), [['a', 'up', 'registered']]);

  tick(100);
  s.hangUp();
  t.equal(topo.get('a')?.state, 'down', 'down the moment the stream closed');
  t.equal(topo.isLive('a'), false);
  t.same(changes.at(-1), { id: 'a', state: 'down', cause: 'stream closed' });
  t.equal(topo.get('a')?.downSince, new Date(1_000_100).toISOString());

  await topo.heartbeat(beat('a'));
  t.equal(topo.get('a')?.state, 'down', 'a heartbeat sent before the end does not revive it');
  tick(50);
  await streams.add(reg('a'), new Sink());
  t.equal(topo.get('a')?.state, 'up', 'a new stream does');
  t.match(changes.at(-1), { id: 'a', state: 'up', cause: 'registered', downSince: new Date(1_000_100).toISOString() });
  t.equal(changes.length, 3, 'each change told once');
});

t.test('a newer stream replaces an older one: the old one is ended and its close changes nothing', async (t) => {
  const { topo, streams, changes } = await setup(t);
  const old = new Sink();
  await streams.add(reg('a'), old);
  const fresh = new Sink();
  await streams.add(reg('a'), fresh);
  t.equal(old.closed, true, 'the older stream is ended');
  t.equal(topo.get('a')?.state, 'up');
  t.equal(changes.length, 1);
  t.equal(streams.size, 1);
  fresh.hangUp();
  t.equal(topo.get('a')?.state, 'down');
  t.equal(streams.size, 0);
});

t.test('a stream that closes while its registration is written leaves the node down', async (t) => {
  const { topo, streams } = await setup(t);
  const s = new Sink();
  const adding = streams.add(reg('a'), s);
  s.hangUp();
  await adding;
  t.equal(topo.get('a')?.state, 'down');
  t.equal(streams.size, 0);
});

t.test('heartbeats that stop: late, then down at the next sweep, and the stream is ended', async (t) => {
  const { topo, streams, changes, tick } = await setup(t);
  const s = new Sink();
  await streams.add(reg('a'), s);
  tick(2_000);
  await topo.heartbeat(beat('a'));
  tick(2_900);
  t.notOk(topo.get('a')?.late, 'on time');
  tick(200);
  t.equal(topo.get('a')?.late, true, 'late past lateAfterMs');
  t.equal(topo.get('a')?.state, 'up');
  tick(3_000);
  topo.sweep();
  t.equal(topo.get('a')?.state, 'down');
  t.same(changes.at(-1), { id: 'a', state: 'down', cause: 'no heartbeat' });
  t.equal(s.closed, true, "the silent node's stream is ended: it registers again when it returns");
});

t.test('a node registered without a stream lives by its heartbeats alone', async (t) => {
  const { topo, changes, tick } = await setup(t);
  await topo.register(reg('b'));
  t.notOk(topo.get('b')?.streaming);
  tick(7_000);
  topo.sweep();
  t.equal(topo.get('b')?.state, 'down');
  await topo.heartbeat(beat('b'));
  t.equal(topo.get('b')?.state, 'up', 'a heartbeat brings it back');
  t.same(changes.map((c) => [c.state, c.cause]), [['up', 'registered'], ['down', 'no heartbeat'], ['up', 'heartbeat']]);
});

t.test('pings go to every open stream; stop ends them all', async (t) => {
  const { streams } = await setup(t);
  const a = new Sink();
  const b = new Sink();
  await streams.add(reg('a'), a);
  await streams.add(reg('b'), b);
  streams.stop();
  t.equal(a.closed && b.closed, true);
});
