// `npm start` (scripts/local-cluster.ts) as a newcomer runs it: kill -9 one
// of its nodes, and the others keep serving downloads, the launcher says
// which process died and how, and starts it again; Ctrl-C (SIGTERM) still
// stops everything with exit code 0.
import t from 'tap';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { callJson } from '../../common/client.js';
import { freePort } from '../../common/http.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { NodeStatus, UploadResult } from '../../common/protocol/types.js';
import { Proc } from '../../scripts/cluster/processes.js';
import { ROOT, missingBuild, type BlobRecord } from '../helpers/cluster.js';
import { makeRandomFile, sha256File, tempDir } from '../helpers/files.js';
import { curl, curlUpload } from '../helpers/http.js';
import { describeRun, waitFor } from '../helpers/proc.js';

const why = missingBuild();
if (why) throw new Error(why);

/** Whether `port` on 127.0.0.1 can be listened on now. */
const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** A base port with the three after it free too (the launcher uses base..base+3). */
async function freeRun(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = await freePort();
    if (base + 3 > 65535 || (base + 3 >= 19000 && base <= 19300)) continue;
    if ((await Promise.all([1, 2, 3].map((k) => bindable(base + k)))).every(Boolean)) return base;
  }
  throw new Error('no four free ports in a row');
}

const work = await tempDir();
t.teardown(work.cleanup);
const data = join(work.dir, 'data');
const base = await freeRun();
const tracker = `http://127.0.0.1:${base}`;
const launcher = Proc.spawn('npm start', process.execPath, [join(ROOT, 'dist', 'scripts', 'local-cluster.js')], join(work.dir, 'launcher.log'), {
  cwd: work.dir,
  env: { ...process.env, HOARD_DATA: data, HOARD_BASE_PORT: String(base), HOARD_LOG_LEVEL: 'info' },
});
t.teardown(async () => {
  if (!t.passing()) process.stderr.write(`\n--- npm start ---\n${launcher.tail(60)}\n`);
  await launcher.kill('SIGKILL');
});
const said = (text: string) => launcher.lines.some((l) => l.includes(text));

await waitFor('the cluster to be up', () => said('hoard local cluster is up'), 120_000);
const secret = (await readFile(join(data, 'secret'), 'utf8')).trim();
const admin = <T>(path: string) => callJson<T>(tracker, 'GET', path, { secret, timeoutMs: 5_000 });

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pid node-a last said it listens with. */
async function nodeAPid(): Promise<number | undefined> {
  const lines = (await readFile(join(data, 'logs', 'node-a.log'), 'utf8')).split('\n').filter((l) => l.includes('"listening"'));
  const last = lines.at(-1);
  return last ? (JSON.parse(last) as { pid: number }).pid : undefined;
}

t.test('kill -9 of a node: the others keep serving, the launcher names it and starts it again', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'demo.bin'), 200_000);
  const up = await curlUpload<UploadResult>(`${tracker}/upload/demo.bin`, f.path);
  t.equal(up.status, 201, `upload: ${up.text}`);
  await waitFor('two copies', async () => (await admin<BlobRecord[]>(`${TRACKER.adminBlobs}?limit=10`)).find((b) => b.id === f.sha256)?.nodes.length === 2, 20_000);

  const pid = await nodeAPid();
  t.ok(pid, 'node-a runs');
  process.kill(pid!, 'SIGKILL');
  // kill() returns once the signal is sent; the downloads start once the process is gone (reaped by the launcher).
  await waitFor('node-a to be gone', () => !alive(pid!), 10_000, 10);
  for (let i = 0; i < 5; i++) {
    const out = join(work.dir, `demo-${i}.out`);
    const r = await curl(['-L', '-f', '-o', out, up.json!.link]);
    t.equal(r.code, 0, `download ${i} while node-a is gone: ${describeRun(r)}`);
    t.equal(await sha256File(out), f.sha256, `download ${i} is whole`);
  }
  await waitFor('the launcher to name the dead node', () => said(`node-a (pid ${pid}) exited unexpectedly (signal SIGKILL)`), 10_000);
  t.ok(said('the others keep running; starting node-a again in 1 s'), 'and to say it starts it again');
  await waitFor(
    'node-a to be back and up at the tracker',
    async () => {
      const again = await nodeAPid();
      const a = (await admin<NodeStatus[]>(TRACKER.adminNodes)).find((n) => n.zone === 'a');
      return again !== undefined && again !== pid && a?.state === 'up';
    },
    30_000,
  );
  t.ok(launcher.running, 'the launcher kept running');
});

t.test('SIGTERM stops the whole cluster with exit code 0', async (t) => {
  const exit = await launcher.kill('SIGTERM', 20_000);
  t.same(exit, { code: 0, signal: null }, launcher.tail(10));
});
