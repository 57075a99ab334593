// Shared directory fsyncs: calls made while one runs share the next one, and
// no call is answered by an fsync that began before it.
import t from 'tap';
import { DirSync } from '../../../../node/store/dir-sync.js';

function fakeFsync() {
  const started: Array<{ path: string; release: () => void; fail: (e: Error) => void }> = [];
  const fsync = (path: string) =>
    new Promise<void>((release, fail) => {
      started.push({ path, release, fail });
    });
  return { started, fsync };
}

const tick = () => new Promise((r) => setImmediate(r));

t.test('calls during a running fsync share one later fsync', async (t) => {
  const f = fakeFsync();
  const ds = new DirSync(f.fsync);
  let firstDone = false;
  let laterDone = 0;
  void ds.sync('/d').then(() => (firstDone = true));
  await tick();
  t.equal(f.started.length, 1);
  const later = [ds.sync('/d'), ds.sync('/d'), ds.sync('/d')].map((p) => p.then(() => laterDone++));
  await tick();
  t.equal(f.started.length, 1, 'no second fsync while the first runs');
  f.started[0]!.release();
  await tick();
  await tick();
  t.ok(firstDone);
  t.equal(laterDone, 0, 'the first fsync does not answer calls made after it started');
  t.equal(f.started.length, 2, 'one fsync for the three waiting calls');
  f.started[1]!.release();
  await Promise.all(later);
  t.equal(laterDone, 3);
});

t.test('different folders do not wait for each other; a failure reaches its callers only', async (t) => {
  const f = fakeFsync();
  const ds = new DirSync(f.fsync);
  const a = ds.sync('/a');
  const b = ds.sync('/b');
  await tick();
  t.same(f.started.map((s) => s.path), ['/a', '/b']);
  const a2 = ds.sync('/a');
  f.started[0]!.fail(new Error('EIO'));
  await t.rejects(a, { message: 'EIO' });
  await tick();
  await tick();
  t.equal(f.started.length, 3, 'the queued call gets its own fsync after the failed one');
  f.started[2]!.release();
  await a2;
  f.started[1]!.release();
  await b;
});

t.test('the real fsync of a folder works', async (t) => {
  const dir = t.testdir({ x: 'y' });
  const ds = new DirSync();
  await Promise.all([ds.sync(dir), ds.sync(dir), ds.sync(dir)]);
  await t.rejects(ds.sync(dir + '/missing'), { code: 'ENOENT' });
});
