// Table tests for the rebalance planner: who gives, who takes, how much, which blobs.
import t from 'tap';
import { pickRebalancePair, planMoves } from '../../../../tracker/replication/rebalance-plan.js';
import type { PlanBlob, PlanNode } from '../../../../tracker/replication/repair-plan.js';

const GiB = 1024 ** 3;
function n(id: string, zone: string, usedGiB: number, extra: Partial<PlanNode> = {}): PlanNode {
  return { id, zone, up: true, draining: false, freeBytes: (100 - usedGiB) * GiB, totalBytes: 100 * GiB, load: 0, ...extra };
}
const b = (id: string, nodes: string[], size = GiB): PlanBlob => ({ id, size, nodes });

t.test('picking the pair', async (t) => {
  t.equal(pickRebalancePair([n('a', 'a', 50), n('b', 'b', 45)], 10, 100 * GiB), undefined, 'within the threshold: nothing');
  const p = pickRebalancePair([n('a', 'a', 80), n('b', 'b', 50), n('c', 'c', 20)], 10, 100 * GiB);
  t.equal(p?.source.id, 'a');
  t.equal(p?.target.id, 'c');
  t.equal(p?.bytes, 30 * GiB, 'half the difference evens two equal disks');
  t.equal(pickRebalancePair([n('a', 'a', 80), n('c', 'c', 20)], 10, 5 * GiB)?.bytes, 5 * GiB, 'capped by maxBytes');
  t.equal(pickRebalancePair([n('a', 'a', 80, { draining: true }), n('b', 'b', 50), n('c', 'c', 45)], 10, 100 * GiB), undefined, 'draining and down nodes take no part');
  t.equal(pickRebalancePair([n('a', 'a', 80, { up: false }), n('c', 'c', 20)], 10, 100 * GiB), undefined);
  const sizes = pickRebalancePair([n('a', 'a', 60), { ...n('big', 'b', 0), totalBytes: 300 * GiB, freeBytes: 300 * GiB }], 10, 1000 * GiB);
  t.equal(sizes?.bytes, 45 * GiB, 'disks of other sizes end at the same used fraction');
});

t.test('choosing blobs to move', async (t) => {
  const nodes = [n('a', 'a', 80), n('b', 'b', 50), n('c', 'c', 20), n('c2', 'c', 50), n('d', 'd', 50, { up: false })];
  const pair = pickRebalancePair(nodes, 10, 100 * GiB)!;
  const blobs = [
    b('ok1', ['a', 'b']),
    b('already', ['a', 'c']),
    b('zone-clash', ['a', 'c2']),
    b('not-on-source', ['b', 'c2']),
    b('under', ['a']),
    b('holder-down', ['a', 'd']),
    b('ok2', ['a', 'b'], 2 * GiB),
    b('busy', ['a', 'b']),
    b('empty', ['a', 'b'], 0),
  ];
  const m = planMoves(blobs, nodes, pair, 100 * GiB, { replicas: 2, margin: 0, busy: new Set(['busy']) });
  t.same(m.tasks.map((x) => x.blob), ['ok1', 'ok2']);
  t.equal(m.bytes, 3 * GiB);
  for (const x of m.tasks) t.match(x, { kind: 'copy', source: 'a', target: 'c', why: 'rebalance', thenDrop: 'a' });
  t.same(planMoves(blobs, nodes, pair, 2 * GiB, { replicas: 2, margin: 0 }).tasks.map((x) => x.blob), ['ok1', 'busy'], 'the byte budget holds');
  t.equal(planMoves(blobs, nodes, pair, 100 * GiB, { replicas: 2, margin: 0, maxTasks: 1 }).tasks.length, 1, 'maxTasks holds');
});
