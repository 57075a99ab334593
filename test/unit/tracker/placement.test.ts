import t from 'tap';
import type { NodeStatus } from '../../../common/protocol/types.js';
import { choosePlacement, chooseReadNode, type PlacementRequest } from '../../../tracker/cluster/placement.js';

const GiB = 1024 ** 3;

function node(id: string, zone: string, freeBytes: number, state: 'up' | 'down' = 'up', load = 0): NodeStatus {
  return { id, zone, publicUrl: `http://${id}`, freeBytes, totalBytes: 100 * GiB, state, lastSeen: '', load, blobCount: 0 };
}

/** mulberry32: a small seeded generator so the statistics below are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const base = (nodes: NodeStatus[], extra: Partial<PlacementRequest> = {}): PlacementRequest => ({
  nodes,
  size: GiB,
  margin: 64 * 1024 * 1024,
  random: seeded(1),
  ...extra,
});

t.test('refusals carry a reason', async (t) => {
  const table: Array<[string, PlacementRequest, string]> = [
    ['no nodes', base([]), 'no-nodes'],
    ['all excluded', base([node('a', 'z', 10 * GiB)], { exclude: ['a'] }), 'no-nodes'],
    ['all down', base([node('a', 'z', 10 * GiB, 'down'), node('b', 'y', 10 * GiB, 'down')]), 'all-down'],
    ['not enough space', base([node('a', 'z', GiB), node('b', 'y', GiB + 1)]), 'no-space'],
    ['space only on a down node', base([node('a', 'z', 50 * GiB, 'down'), node('b', 'y', GiB)]), 'no-space'],
  ];
  for (const [name, req, reason] of table) {
    const d = choosePlacement(req);
    t.equal(d.ok, false, name);
    if (!d.ok) {
      t.equal(d.reason, reason, name);
      t.type(d.detail, 'string');
    }
  }
});

t.test('only live nodes with size + margin free are chosen', async (t) => {
  const nodes = [node('down', 'z', 90 * GiB, 'down'), node('small', 'z', GiB), node('fits', 'z', 2 * GiB)];
  for (let seed = 0; seed < 50; seed++) {
    const d = choosePlacement(base(nodes, { random: seeded(seed) }));
    t.ok(d.ok && d.node.id === 'fits');
  }
  t.end();
});

t.test('exact boundary: free = size + margin fits', async (t) => {
  const d = choosePlacement(base([node('a', 'z', GiB + 64 * 1024 * 1024)]));
  t.ok(d.ok);
});

t.test('weighting by free bytes inside a zone', async (t) => {
  const nodes = [node('big', 'z', 75 * GiB), node('small', 'z', 25 * GiB)];
  const rnd = seeded(42);
  const counts: Record<string, number> = { big: 0, small: 0 };
  for (let i = 0; i < 10_000; i++) {
    const d = choosePlacement(base(nodes, { random: rnd }));
    if (d.ok) counts[d.node.id]!++;
  }
  const share = counts.big! / 10_000;
  t.ok(share > 0.72 && share < 0.78, `big node share ${share} ≈ 0.75`);
});

t.test('zone spread: zones share uploads evenly whatever their node count', async (t) => {
  const nodes = [node('a1', 'a', 10 * GiB), node('a2', 'a', 10 * GiB), node('a3', 'a', 10 * GiB), node('b1', 'b', 10 * GiB)];
  const rnd = seeded(7);
  const zones: Record<string, number> = { a: 0, b: 0 };
  for (let i = 0; i < 10_000; i++) {
    const d = choosePlacement(base(nodes, { random: rnd }));
    if (d.ok) zones[d.node.zone]!++;
  }
  const share = zones.b! / 10_000;
  t.ok(share > 0.47 && share < 0.53, `zone b share ${share} ≈ 0.5`);
});

t.test('avoidZones prefers other zones, falls back when they cannot take it', async (t) => {
  const nodes = [node('a1', 'a', 50 * GiB), node('b1', 'b', 5 * GiB), node('c1', 'c', 0)];
  for (let seed = 0; seed < 50; seed++) {
    const d = choosePlacement(base(nodes, { random: seeded(seed), avoidZones: ['a'] }));
    t.ok(d.ok && d.node.id === 'b1', 'other zone chosen');
  }
  const only = choosePlacement(base([node('a1', 'a', 50 * GiB)], { avoidZones: ['a'] }));
  t.ok(only.ok && only.node.id === 'a1', 'falls back to an avoided zone');
});

t.test('the same seed gives the same choice, whatever the input order', async (t) => {
  const nodes = [node('a', 'x', 10 * GiB), node('b', 'y', 20 * GiB), node('c', 'y', 30 * GiB), node('d', 'z', 5 * GiB)];
  for (let seed = 0; seed < 20; seed++) {
    const one = choosePlacement(base(nodes, { random: seeded(seed) }));
    const two = choosePlacement(base([...nodes].reverse(), { random: seeded(seed) }));
    t.ok(one.ok && two.ok && one.node.id === two.node.id);
  }
});

t.test('random() returning values at the edges never breaks the choice', async (t) => {
  const nodes = [node('a', 'x', 10 * GiB), node('b', 'x', 0.5 * GiB + 128 * 1024 * 1024)];
  for (const v of [0, 0.5, 0.999999999999]) {
    const d = choosePlacement(base(nodes, { size: 0, random: () => v }));
    t.ok(d.ok, `random() = ${v}`);
  }
});

t.test('reads: a live holder, the least loaded, random among equals', async (t) => {
  const nodes = [node('a', 'x', GiB, 'up', 5), node('b', 'x', GiB, 'up', 1), node('c', 'y', GiB, 'down', 0), node('d', 'y', GiB, 'up', 1)];
  t.equal(chooseReadNode(nodes, ['a', 'b', 'c', 'd'], () => 0)?.id, 'b');
  t.equal(chooseReadNode(nodes, ['a', 'b', 'c', 'd'], () => 0.99)?.id, 'd');
  t.equal(chooseReadNode(nodes, ['a', 'c'], () => 0)?.id, 'a');
  t.equal(chooseReadNode(nodes, ['c'], () => 0), undefined, 'only a down holder');
  t.equal(chooseReadNode(nodes, ['zzz'], () => 0), undefined, 'holder unknown');
  t.equal(chooseReadNode(nodes, [], () => 0), undefined);
});

t.test('reads: avoid a failed node and a draining one while another copy is live', async (t) => {
  const nodes = [node('a', 'x', GiB, 'up', 0), node('b', 'x', GiB, 'up', 3), { ...node('c', 'y', GiB, 'up', 0), draining: true }];
  t.equal(chooseReadNode(nodes, ['a', 'b'], () => 0, ['a'])?.id, 'b', 'the avoided node is skipped though it is less loaded');
  t.equal(chooseReadNode(nodes, ['a'], () => 0, ['a'])?.id, 'a', 'the only live copy is used anyway');
  t.equal(chooseReadNode(nodes, ['b', 'c'], () => 0)?.id, 'b', 'a draining node only when nothing else is left');
  t.equal(chooseReadNode(nodes, ['c'], () => 0)?.id, 'c');
  t.equal(chooseReadNode(nodes, ['b', 'c'], () => 0, ['b'])?.id, 'c', 'draining beats avoided');
});

t.test('reads: a late holder (heartbeat overdue) only when no fresh one is live; avoided ones after it', async (t) => {
  const nodes = [{ ...node('a', 'x', GiB, 'up', 0), late: true }, node('b', 'y', GiB, 'up', 7), { ...node('c', 'z', GiB, 'up', 0), draining: true }];
  t.equal(chooseReadNode(nodes, ['a', 'b'], () => 0)?.id, 'b', 'the fresh holder though it is busier');
  t.equal(chooseReadNode(nodes, ['a', 'c'], () => 0)?.id, 'c', 'a draining holder before a late one');
  t.equal(chooseReadNode(nodes, ['a'], () => 0)?.id, 'a', 'the late holder when it is the only one');
  t.equal(chooseReadNode(nodes, ['a', 'b'], () => 0, ['b'])?.id, 'a', 'late beats avoided');
});

t.test('uploads: draining nodes take none; with fillBand the emptiest nodes take them first', async (t) => {
  const drained = { ...node('d', 'x', 90 * GiB), draining: true };
  for (let seed = 0; seed < 30; seed++) {
    const d = choosePlacement(base([drained, node('e', 'y', 2 * GiB)], { random: seeded(seed) }));
    t.ok(d.ok && d.node.id === 'e', 'not the draining node');
  }
  const onlyDraining = choosePlacement(base([drained]));
  t.equal(onlyDraining.ok, false, 'a draining node alone cannot take uploads');
  // A new node (5 % used) among nodes at 60 %: it alone takes uploads until it catches up.
  const fresh = node('new', 'z', 95 * GiB);
  const full = [node('o1', 'x', 40 * GiB), node('o2', 'y', 40 * GiB)];
  for (let seed = 0; seed < 30; seed++) {
    const d = choosePlacement(base([...full, fresh], { random: seeded(seed), fillBand: 0.05 }));
    t.ok(d.ok && d.node.id === 'new', 'the new node first');
  }
  const level = [node('p1', 'x', 50 * GiB), node('p2', 'y', 48 * GiB)];
  const seen = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const d = choosePlacement(base(level, { random: seeded(seed), fillBand: 0.05 }));
    if (d.ok) seen.add(d.node.id);
  }
  t.same([...seen].sort(), ['p1', 'p2'], 'nodes within the band share uploads');
});
