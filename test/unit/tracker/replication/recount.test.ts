// The backlog recount after node changes: a burst makes one count, a change
// during a count makes exactly one more, nothing after stop().
import t from 'tap';
import { Recount } from '../../../../tracker/replication/recount.js';

/** A count that runs until released; `started` resolves as each one begins. */
function gatedCount() {
  const runs: Array<() => void> = [];
  let onStart: (() => void) | undefined;
  return {
    runs,
    count: () =>
      new Promise<void>((resolve) => {
        runs.push(resolve);
        onStart?.();
      }),
    started: () => new Promise<void>((resolve) => (onStart = resolve)),
  };
}

// The recount's timer does not hold the process open; this does while the tests wait on it.
const keepAlive = setInterval(() => undefined, 1_000);
t.teardown(() => clearInterval(keepAlive));

t.test('a burst is one count; a change while counting is one more', async (t) => {
  const g = gatedCount();
  const r = new Recount(g.count, (err) => t.fail(String(err)), 1);
  t.teardown(() => r.stop());
  let first = g.started();
  r.soon();
  r.soon();
  r.soon();
  await first;
  t.equal(g.runs.length, 1, 'three changes, one count');
  r.soon();
  r.soon();
  first = g.started();
  g.runs[0]!();
  await first;
  t.equal(g.runs.length, 2, 'changes during the count made one more');
  g.runs[1]!();
});

t.test('after stop nothing runs', async (t) => {
  let counted = 0;
  const r = new Recount(async () => void counted++, () => undefined, 1);
  r.stop();
  r.soon();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(counted, 0);
});
