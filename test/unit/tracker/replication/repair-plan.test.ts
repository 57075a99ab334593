// Table tests for the repair planner: blobs + node states + zones + clock in,
// tasks out. No servers.
import t from 'tap';
import { judgeBlob, planRepair, wantsCopy, type PlanBlob, type PlanNode, type PlanOptions, type RepairTask } from '../../../../tracker/replication/repair-plan.js';

const GiB = 1024 ** 3;
const NOW = 1_000_000_000;
const GRACE = 60_000;

function n(id: string, zone: string, extra: Partial<PlanNode> = {}): PlanNode {
  return { id, zone, up: true, draining: false, freeBytes: 100 * GiB, totalBytes: 200 * GiB, load: 0, ...extra };
}
const down = (id: string, zone: string, agoMs: number): PlanNode => n(id, zone, { up: false, downSince: NOW - agoMs });
const blob = (nodes: string[], size = 1000, id = 'b1'): PlanBlob => ({ id, size, nodes });
const opts = (extra: Partial<PlanOptions> = {}): PlanOptions => ({ replicas: 2, now: NOW, graceMs: GRACE, margin: 0, ...extra });

const show = (ts: RepairTask[]) =>
  ts.map((x) => (x.kind === 'copy' ? `copy ${x.source}>${x.target} ${x.why}` : x.kind === 'drop' ? `drop ${x.node} ${x.why}` : `forget ${x.node}`));

t.test('judging one blob', async (t) => {
  const cluster = [n('a1', 'a'), n('b1', 'b'), n('c1', 'c'), n('c2', 'c', { freeBytes: 150 * GiB })];
  const table: Array<[string, PlanNode[], PlanBlob, Partial<PlanOptions>, string, string[]]> = [
    ['at the factor in two zones: nothing', cluster, blob(['a1', 'b1']), {}, 'ok', []],
    ['a new upload: one copy, to a zone without one, the roomiest there', cluster, blob(['a1']), {}, 'repair', ['copy a1>c2 missing']],
    ['factor 3: two copies, each to a new zone', cluster, blob(['a1']), { replicas: 3 }, 'repair', ['copy a1>c2 missing', 'copy a1>b1 missing']],
    ['holder down inside the grace period: wait', [down('a1', 'a', 10_000), ...cluster.slice(1)], blob(['a1', 'b1']), {}, 'waiting', []],
    [
      'holder down past the grace period: copy from the survivor to a zone without a copy',
      [down('a1', 'a', 120_000), ...cluster.slice(1)],
      blob(['a1', 'b1']),
      {},
      'repair',
      ['copy b1>c2 missing'],
    ],
    [
      'survivor in zone c: the copy goes to zone b, not to the other node of zone c',
      [down('a1', 'a', 120_000), ...cluster.slice(1)],
      blob(['a1', 'c1']),
      {},
      'repair',
      ['copy c1>b1 missing'],
    ],
    [
      'repaired: the lost holder is forgotten',
      [down('a1', 'a', 120_000), ...cluster.slice(1)],
      blob(['a1', 'b1', 'c1']),
      {},
      'tidy',
      ['forget a1'],
    ],
    ['a holder the tracker does not know is lost', cluster, blob(['zz', 'a1', 'b1']), {}, 'tidy', ['forget zz']],
    ['every holder down: unavailable', [down('a1', 'a', 120_000), down('b1', 'b', 120_000), n('c1', 'c')], blob(['a1', 'b1']), {}, 'unavailable', []],
    [
      'draining holder: copy first (from the other holder), drop later',
      [n('a1', 'a', { draining: true }), ...cluster.slice(1)],
      blob(['a1', 'b1']),
      {},
      'repair',
      ['copy b1>c2 missing'],
    ],
    [
      'draining holder with a copy elsewhere: drop it',
      [n('a1', 'a', { draining: true }), ...cluster.slice(1)],
      blob(['a1', 'b1', 'c1']),
      {},
      'tidy',
      ['drop a1 drained'],
    ],
    [
      'only copy on a draining node: it is the source',
      [n('a1', 'a', { draining: true }), ...cluster.slice(1)],
      blob(['a1']),
      {},
      'repair',
      ['copy a1>c2 missing', 'copy a1>b1 missing'],
    ],
    [
      'three copies, factor two: the extra one in a shared zone goes',
      cluster,
      blob(['b1', 'c1', 'c2']),
      {},
      'tidy',
      ['drop c1 excess'],
    ],
    ['two copies in one zone while another zone has room: a copy there first', cluster, blob(['c1', 'c2']), {}, 'repair', ['copy c1>a1 zone']],
    ['two copies in one zone, no other zone up: fine', [n('c1', 'c'), n('c2', 'c'), down('a1', 'a', 120_000)], blob(['c1', 'c2']), {}, 'ok', []],
    ['no room anywhere: no target', cluster.map((x) => ({ ...x, freeBytes: 10 })), blob(['a1'], 1000), { margin: 0 }, 'no-target', []],
    ['a task already running on the blob: leave it', cluster, blob(['a1']), { busy: new Set(['b1']) }, 'busy', []],
    ['a down target is never chosen', [n('a1', 'a'), down('b1', 'b', 1), n('c1', 'c')], blob(['a1']), {}, 'repair', ['copy a1>c1 missing']],
  ];
  for (const [name, nodes, b, o, health, tasks] of table) {
    const j = judgeBlob(b, nodes, opts(o));
    t.equal(j.health, health, `${name}: health`);
    t.same(show(j.tasks), tasks, `${name}: tasks`);
  }
});

t.test('sources: a non-draining, least loaded holder', async (t) => {
  const nodes = [n('a1', 'a', { load: 5 }), n('a2', 'a', { load: 1 }), n('b1', 'b', { draining: true, load: 0 }), n('c1', 'c')];
  const j = judgeBlob(blob(['a1', 'a2', 'b1']), nodes, opts({ replicas: 3 }));
  t.same(show(j.tasks), ['copy a2>c1 missing']);
});

t.test('a plan spreads copies by counting the bytes already headed to each node', async (t) => {
  const nodes = [n('a1', 'a'), n('b1', 'b', { freeBytes: 10 * GiB + 500 }), n('b2', 'b', { freeBytes: 10 * GiB })];
  const blobs = [blob(['a1'], GiB, 'x1'), blob(['a1'], GiB, 'x2'), blob(['a1'], GiB, 'x3')];
  const plan = planRepair(blobs, nodes, opts());
  t.same(plan.tasks.map((x) => (x.kind === 'copy' ? x.target : '')), ['b1', 'b2', 'b1']);
  t.equal(plan.pending.get('b1'), 2 * GiB);
  const capped = planRepair(blobs, nodes, opts({ maxTasks: 1 }));
  t.equal(capped.tasks.length, 1, 'at most maxTasks');
  t.equal(capped.counts.copies, 3, 'but the backlog counts all of them');
  t.equal(capped.pending.get('b2') ?? 0, 0, 'copies not started do not hold space');
});

t.test('counts: what hoard-admin repair shows', async (t) => {
  const nodes = [down('a1', 'a', 120_000), down('w1', 'w', 1_000), n('b1', 'b'), n('c1', 'c')];
  const blobs = [blob(['a1', 'b1'], 10, 'p1'), blob(['w1', 'b1'], 10, 'p2'), blob(['a1'], 10, 'p3'), blob(['b1', 'c1'], 10, 'p4'), blob(['b1', 'c1', 'a1'], 10, 'p5')];
  const plan = planRepair(blobs, nodes, opts());
  t.same(plan.counts, { blobs: 5, belowFactor: 3, waiting: 1, unavailable: 1, noTarget: 0, copies: 1, drops: 0, forgets: 1, busy: 0, badCopies: 0, badWaiting: 0 });
});

t.test('bad copies: a missing copy with a known place to go back to', async (t) => {
  const cluster = [n('a1', 'a'), n('b1', 'b'), n('c1', 'c'), n('c2', 'c', { freeBytes: 150 * GiB })];
  const bad = (nodes: string[], badNodes: string[], id = 'b1'): PlanBlob => ({ ...blob(nodes, 1000, id), bad: badNodes });
  const table: Array<[string, PlanNode[], PlanBlob, Partial<PlanOptions>, string, string[], number]> = [
    ['below the factor: re-made in place, from the good holder, nowhere else', cluster, bad(['b1'], ['a1']), {}, 'repair', ['copy b1>a1 bad'], 0],
    ['at the factor without it: still re-made in place', cluster, bad(['b1', 'c1'], ['a1']), {}, 'repair', ['copy b1>a1 bad'], 0],
    ['its node is down: waits, and the shortfall goes elsewhere', [down('a1', 'a', 1_000), ...cluster.slice(1)], bad(['b1'], ['a1']), {}, 'repair', ['copy b1>c2 missing'], 1],
    [
      'its node is down and nothing else has room: waits',
      [down('a1', 'a', 1_000), n('b1', 'b'), n('c1', 'c', { freeBytes: 10 })],
      bad(['b1'], ['a1']),
      {},
      'no-target',
      [],
      1,
    ],
    ['no live holder: everything waits', cluster, bad([], ['a1', 'b1']), {}, 'unavailable', [], 2],
    ['two bad copies, one good: both re-made in place', cluster, bad(['c1'], ['a1', 'b1']), { replicas: 3 }, 'repair', ['copy c1>a1 bad', 'copy c1>b1 bad'], 0],
    [
      'factor 3, one bad, one missing: in place, then a new zone',
      cluster,
      bad(['b1'], ['a1']),
      { replicas: 3 },
      'repair',
      ['copy b1>a1 bad', 'copy b1>c2 missing'],
      0,
    ],
    [
      'on a draining node: re-made there, but it does not count towards the factor',
      [n('a1', 'a', { draining: true }), ...cluster.slice(1)],
      bad(['b1'], ['a1']),
      {},
      'repair',
      ['copy b1>a1 bad', 'copy b1>c2 missing'],
      0,
    ],
    ['a stale record (the node holds it again): nothing to repair', cluster, bad(['a1', 'b1'], ['a1']), {}, 'ok', [], 0],
    ['a task already running on the blob: leave it', cluster, bad(['b1'], ['a1']), { busy: new Set(['b1']) }, 'busy', [], 0],
  ];
  for (const [name, nodes, b, o, health, tasks, waiting] of table) {
    const j = judgeBlob(b, nodes, opts(o));
    t.equal(j.health, health, `${name}: health`);
    t.same(show(j.tasks), tasks, `${name}: tasks`);
    t.equal(j.badWaiting, waiting, `${name}: bad copies waiting`);
  }
  const plan = planRepair([bad(['b1'], ['a1'], 'x1'), bad([], ['a1'], 'x2'), bad(['a1', 'b1'], ['a1'], 'x3')], cluster, opts());
  t.match(plan.counts, { badCopies: 2, badWaiting: 1, copies: 1, unavailable: 1 }, 'counts: stale records are not counted');
});

t.test('wantsCopy: keep a duplicate upload as a replica when it fills a gap', async (t) => {
  const nodes = [n('a1', 'a'), n('a2', 'a'), n('b1', 'b'), n('d1', 'd', { draining: true })];
  const o = opts();
  t.equal(wantsCopy(blob(['a1']), 'b1', nodes, o), true, 'below the factor, new zone');
  t.equal(wantsCopy(blob(['a1']), 'a2', nodes, o), false, 'same zone while zone b could take it');
  t.equal(wantsCopy(blob(['a1']), 'a2', nodes.filter((x) => x.zone === 'a'), o), true, 'same zone, but no other zone exists');
  t.equal(wantsCopy(blob(['a1', 'b1']), 'a2', nodes, o), false, 'already at the factor');
  t.equal(wantsCopy(blob(['a1']), 'a1', nodes, o), false, 'already a holder');
  t.equal(wantsCopy(blob(['a1']), 'd1', nodes, o), false, 'a draining node');
  t.equal(wantsCopy(blob(['a1', 'x']), 'b1', nodes, o), true, 'a lost holder does not count');
});
