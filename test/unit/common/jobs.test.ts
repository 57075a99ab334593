// Long operations as jobs: the start answers at once, the status follows the
// run (progress, result or the error), finished jobs are forgotten after an
// hour, and an unknown id is JOB_NOT_FOUND.
import t from 'tap';
import { JobBook, wantsJob } from '../../../common/jobs.js';
import { HoardError } from '../../../common/protocol/errors.js';
import type { JobProgress } from '../../../common/protocol/types.js';
import { waitFor } from '../../helpers/proc.js';

t.test('a job runs after its start answered, reports progress, and keeps its result', async (t) => {
  let release!: () => void;
  let report!: (p: JobProgress) => void;
  let started = false;
  const book = new JobBook();
  const first = book.start('worker scrub', async (progress) => {
    started = true;
    report = progress;
    await new Promise<void>((r) => (release = r));
    return { blobs: 3 };
  });
  t.equal(started, false, 'no work before the start was answered');
  t.match(first, { what: 'worker scrub', state: 'running' });
  t.match(first.id, /^[\w-]{16}$/);
  await waitFor('the run to start', () => started, 5_000, 5);
  report({ done: 1, total: 3, unit: 'blobs' });
  t.same(book.get(first.id).progress, { done: 1, total: 3, unit: 'blobs' });
  release();
  const done = await waitFor('the job to end', () => (book.get(first.id).state === 'done' ? book.get(first.id) : undefined), 5_000, 5);
  t.same(done.result, { blobs: 3 });
  t.type(done.finished, 'string');
});

t.test('a failed job keeps its error: the table code, and an internal error its own message', async (t) => {
  const book = new JobBook();
  const a = book.start('verify x', () => Promise.reject(new HoardError('BLOB_NOT_FOUND')));
  const b = book.start('fsck', () => Promise.reject(new Error('disk on fire')));
  const ended = (id: string) => waitFor('the job to fail', () => (book.get(id).state === 'failed' ? book.get(id) : undefined), 5_000, 5);
  t.match((await ended(a.id)).error, { code: 'BLOB_NOT_FOUND' });
  t.same((await ended(b.id)).error, { code: 'INTERNAL', message: 'disk on fire' });
});

t.test('unknown ids and jobs ended over an hour ago are JOB_NOT_FOUND', async (t) => {
  let now = 1_000_000;
  const book = new JobBook(() => now);
  const j = book.start('gc', () => Promise.resolve({}));
  await waitFor('the job to end', () => book.get(j.id).state === 'done', 5_000, 5);
  t.throws(() => book.get('nope'), { code: 'JOB_NOT_FOUND' });
  now += 3_600_001;
  t.throws(() => book.get(j.id), { code: 'JOB_NOT_FOUND' });
});

t.test('?job=1 asks for a job', async (t) => {
  t.equal(wantsJob(new URL('http://x/run?job=1')), true);
  t.equal(wantsJob(new URL('http://x/run?repair=1&job=true')), true);
  t.equal(wantsJob(new URL('http://x/run')), false);
  t.equal(wantsJob(new URL('http://x/run?job=0')), false);
});
