// Where hoard put remembers an unfinished upload: one file per (tracker,
// file, size, content), written whole or not at all, and never a reason for
// an upload to fail.
import t from 'tap';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { defaultStateDir, UploadStateFile, type SavedUpload } from '../../../client/upload-state.js';

const SHA = 'a'.repeat(64);

function saved(over: Partial<SavedUpload> = {}): SavedUpload {
  return { v: 1, tracker: 'http://t', path: '/f', size: 10, sha256: SHA, url: 'http://n/tus/u1', uploadId: 'u1', created: new Date(0).toISOString(), ...over };
}

t.test('the state folder: HOARD_STATE_DIR, then XDG_CACHE_HOME, then ~/.cache', async (t) => {
  t.equal(defaultStateDir({ HOARD_STATE_DIR: '/s', XDG_CACHE_HOME: '/x' }), '/s');
  t.equal(defaultStateDir({ XDG_CACHE_HOME: '/x' }), join('/x', 'hoard', 'uploads'));
  t.equal(defaultStateDir({}), join(homedir(), '.cache', 'hoard', 'uploads'));
  t.equal(defaultStateDir({ XDG_CACHE_HOME: '' }), join(homedir(), '.cache', 'hoard', 'uploads'), 'an empty XDG_CACHE_HOME is unset');
});

t.test('one file per tracker, real path, size and content', async (t) => {
  const key = (tracker: string, path: string, size: number, sha: string) => new UploadStateFile('/d', tracker, path, size, sha).path;
  const base = key('http://t', '/f', 10, SHA);
  t.equal(key('http://t', '/f', 10, SHA), base, 'the same upload finds the same file');
  t.match(base, /^\/d\/[0-9a-f]{32}\.json$/);
  for (const other of [key('http://u', '/f', 10, SHA), key('http://t', '/g', 10, SHA), key('http://t', '/f', 11, SHA), key('http://t', '/f', 10, 'b'.repeat(64))]) {
    t.not(other, base);
  }
});

t.test('save, load, clear', async (t) => {
  const dir = join(t.testdir(), 'nested', 'state');
  const f = new UploadStateFile(dir, 'http://t', '/f', 10, SHA);
  t.equal(await f.load(), undefined, 'nothing saved yet');
  t.equal(await f.save(saved()), true, 'the folder is created');
  t.same(await f.load(), saved());
  t.same(await readdir(dir), [f.path.slice(dir.length + 1)], 'no temporary file is left');
  await f.clear();
  t.equal(await f.load(), undefined);
  await f.clear();
  t.pass('clearing twice is fine');
});

t.test('a file that is not a saved upload is ignored', async (t) => {
  const dir = t.testdir();
  const f = new UploadStateFile(dir, 'http://t', '/f', 10, SHA);
  for (const text of ['not json', '{}', JSON.stringify({ ...saved(), v: 2 }), JSON.stringify({ ...saved(), url: 5 }), JSON.stringify({ ...saved(), uploadId: null })]) {
    await writeFile(f.path, text);
    t.equal(await f.load(), undefined, text.slice(0, 40));
  }
});

t.test('a state folder that cannot be written: save says so, does not throw', { skip: process.getuid?.() === 0 ? 'root writes anywhere' : false }, async (t) => {
  const dir = join(t.testdir(), 'ro');
  await mkdir(dir);
  await chmod(dir, 0o500);
  t.teardown(() => chmod(dir, 0o700));
  t.equal(await new UploadStateFile(dir, 'http://t', '/f', 10, SHA).save(saved()), false);
});

t.test('a state path that is a file: save says so, does not throw', async (t) => {
  const blocker = join(t.testdir(), 'blocker');
  await writeFile(blocker, 'x');
  t.equal(await new UploadStateFile(join(blocker, 'state'), 'http://t', '/f', 10, SHA).save(saved()), false);
});
