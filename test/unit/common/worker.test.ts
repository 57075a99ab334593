import t from 'tap';
import { pino } from 'pino';
import { WorkerPool, type Worker } from '../../../common/worker.js';

const log = pino({ level: 'silent' });

t.test('a run asked for during a run joins it; failures are counted and reported', async (t) => {
  let calls = 0;
  let fail = false;
  let release!: () => void;
  const worker: Worker<{ n: number }> = {
    name: 'count',
    schedule: '0 0 1 1 *',
    async runOnce(ctx) {
      calls++;
      await new Promise<void>((r) => (release = r));
      if (fail) throw new Error('broken');
      return { seen: ctx.n };
    },
  };
  const pool = new WorkerPool({ n: 7 }, log).add(worker);
  const a = pool.run('count');
  const b = pool.run('count');
  t.equal(pool.status()[0]!.running, true);
  release();
  t.same(await a, { seen: 7 });
  t.same(await b, { seen: 7 });
  t.equal(calls, 1, 'one run served both callers');
  fail = true;
  const c = pool.run('count');
  release();
  await t.rejects(c, /broken/);
  const st = pool.status()[0]!;
  t.equal(st.runs, 1);
  t.equal(st.failures, 1);
  t.equal(st.lastError, 'broken');
  t.equal(st.running, false);
  await t.rejects(pool.run('nope'), /no worker named nope/);
  await pool.stop();
});
