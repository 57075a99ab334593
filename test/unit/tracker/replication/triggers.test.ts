// What makes replication look at something soon, and how bursts make one run.
import t from 'tap';
import { Triggers } from '../../../../tracker/replication/triggers.js';

const DAY = 86_400_000;

t.test('commits below the factor mark their blob and start one replicate run', async (t) => {
  const runs: string[] = [];
  const tr = new Triggers({ now: () => 0, replicas: 2, repairGrace: DAY });
  tr.blobCommitted({ id: 'a', nodes: ['n1'] });
  t.same(tr.takeChangedBlobs(), ['a'], 'marked even before the workers run');
  tr.runWorkersWith(async (name) => void runs.push(name));
  tr.blobCommitted({ id: 'b', nodes: ['n1'] });
  tr.blobCommitted({ id: 'c', nodes: ['n1'] });
  tr.blobCommitted({ id: 'd', nodes: ['n1', 'n2'] });
  await new Promise((r) => setTimeout(r, 400));
  t.same(runs, ['replicate'], 'one run for the burst');
  t.same(tr.takeChangedBlobs(), ['b', 'c'], 'a blob at its factor is left alone');
  t.same(tr.takeChangedBlobs(), [], 'taken once');
  tr.stop();
});

t.test('nodes: registered at once, back up only after the grace period', async (t) => {
  const now = 10 * DAY;
  const runs: string[] = [];
  const tr = new Triggers({ now: () => now, replicas: 2, repairGrace: DAY });
  tr.runWorkersWith(async (name) => void runs.push(name));
  tr.nodeRegistered('n1');
  tr.nodeUp('n2', new Date(now - DAY / 2).toISOString());
  tr.nodeUp('n3', new Date(now - 2 * DAY).toISOString());
  tr.nodeUp('n4', undefined);
  t.same(tr.takeNodesToReconcile(), ['n1', 'n3']);
  tr.reconcileSoon('n5');
  t.same(tr.takeNodesToReconcile(), ['n5']);
  tr.stop();
  await new Promise((r) => setTimeout(r, 400));
  t.same(runs, [], 'stop() cancels kicks not yet run');
});
