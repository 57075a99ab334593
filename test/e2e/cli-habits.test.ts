// The hoard and hoard-admin command lines behave as people expect of a Unix
// tool: `put -` reads standard input, `get -o -` writes to standard output,
// get keeps a different file unless --force, put --json gives one line per
// input (failures too), one message when the tracker cannot be reached,
// --version on every command, and an option that took the file argument is
// named.
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, useCluster } from '../helpers/cluster.js';
import { tempDir } from '../helpers/files.js';
import { describeRun, run } from '../helpers/proc.js';

const c = await useCluster(t, { nodes: [{ zone: 'a' }], chunkSize: 64 * 1024 });
const work = await tempDir();
t.teardown(work.cleanup);
const env = { ...process.env, HOARD_TRACKER: c.trackerUrl, HOARD_LOG_LEVEL: 'warn', HOARD_STATE_DIR: join(work.dir, 'state') };
const hoard = (args: string[], input?: string) => run(process.execPath, [BIN.client, ...args], { env, input, cwd: work.dir, timeoutMs: 60_000 });
const text = `lines from a pipe ${Date.now()}\n`.repeat(3000);

t.test('put - uploads standard input; get -o - writes the bytes to standard output', async (t) => {
  const put = await hoard(['put', '-'], text);
  t.equal(put.code, 0, describeRun(put));
  const link = put.stdout.trim();
  t.match(link, /\/f\/[\w-]{22}$/);
  const info = (await c.links()).find((l) => link.endsWith(l.id));
  t.equal(info?.filename, 'stdin', 'the link is named "stdin"');
  t.equal(info?.size, Buffer.byteLength(text));
  const named = await hoard(['put', '-', '--name', 'notes.txt', '--json'], text);
  t.equal(named.code, 0, describeRun(named));
  t.match(JSON.parse(named.stdout), { file: '-', dedup: true });
  t.equal((await c.links()).find((l) => named.stdout.includes(l.id))?.filename, 'notes.txt');
  const get = await hoard(['get', link, '-o', '-']);
  t.equal(get.code, 0, describeRun(get));
  t.equal(get.stdout, text, 'the bytes, and only them, on standard output');
});

t.test('get does not overwrite a file holding other bytes unless --force', async (t) => {
  const put = await hoard(['put', '-', '--name', 'keep.txt'], text);
  const link = put.stdout.trim();
  const out = join(work.dir, 'keep.txt');
  await writeFile(out, 'somebody else\'s file\n');
  const refused = await hoard(['get', link, '-o', out]);
  t.equal(refused.code, 1, describeRun(refused));
  t.match(refused.stderr, 'FILE_EXISTS');
  t.equal(await readFile(out, 'utf8'), 'somebody else\'s file\n', 'the file is untouched');
  const forced = await hoard(['get', link, '-o', out, '--force']);
  t.equal(forced.code, 0, describeRun(forced));
  t.equal(await readFile(out, 'utf8'), text);
  const again = await hoard(['get', link, '-o', out]);
  t.equal(again.code, 0, `the same bytes already there are not a conflict: ${describeRun(again)}`);
});

t.test('put --json: one line per input, naming it, failures included', async (t) => {
  const good = join(work.dir, 'good.txt');
  await writeFile(good, 'good\n');
  const r = await hoard(['put', '--json', join(work.dir, 'missing.txt'), good]);
  t.equal(r.code, 1, describeRun(r));
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; link?: string; error?: { code: string } });
  t.equal(lines.length, 2);
  t.match(lines[0], { file: join(work.dir, 'missing.txt'), error: { code: /\w+/ } });
  t.match(lines[1], { file: good, link: /\/f\// });
});

t.test('one message when the tracker cannot be reached, for put and get', async (t) => {
  const dead = 'http://127.0.0.1:1';
  const f = join(work.dir, 'small.txt');
  await writeFile(f, 'small\n');
  const put = await hoard(['put', f, '--tracker', dead]);
  const get = await hoard(['get', 'rbviYLrrrzfpv-jXoHi-EA', '--tracker', dead]);
  for (const r of [put, get]) {
    t.equal(r.code, 1, describeRun(r));
    t.match(r.stderr, `hoard: TRACKER_UNREACHABLE: cannot reach the tracker at ${dead} (`);
  }
});

t.test('--version on every command', async (t) => {
  const { version } = JSON.parse(await readFile(join(BIN.client, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  for (const [bin, args] of [[BIN.client, ['--version']], [BIN.client, ['put', '--version']], [BIN.client, ['get', '--version']], [BIN.admin, ['--version']], [BIN.admin, ['scrub', '--version']]] as const) {
    const r = await run(process.execPath, [bin, ...args], { env, timeoutMs: 20_000 });
    t.equal(r.code, 0, describeRun(r));
    t.equal(r.stdout.trim(), version, `${args.join(' ')}`);
  }
});

t.test('an option that took the file argument is named', async (t) => {
  const r = await hoard(['put', '--state-dir', 'movie.mkv']);
  t.equal(r.code, 1, describeRun(r));
  t.match(r.stderr, 'hoard: MISSING_ARGUMENT: missing a FILE to upload');
  t.match(r.stderr, '--state-dir took "movie.mkv" as its value');
});
