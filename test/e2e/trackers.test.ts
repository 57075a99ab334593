// Two trackers on one PostgreSQL, two nodes that know both, nginx in front
// of the trackers: any tracker answers any request, a worker runs at one
// tracker only, both trackers see a killed node go down, and with one
// tracker killed (SIGKILL) the other takes the uploads, the downloads, the
// nodes' commits and the workers' leases. A proof of possession is checked
// by whichever tracker the node asks, whichever issued the challenge.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { callJson } from '../../common/client.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { NodeStatus, UploadResult, UploadTarget } from '../../common/protocol/types.js';
import type { WorkerStatus } from '../../common/worker.js';
import type { PutResult } from '../../client/tus-upload.js';
import { BIN, useCluster } from '../helpers/cluster.js';
import { makeRandomFile, sha256, tempDir } from '../helpers/files.js';
import { curl, curlUpload } from '../helpers/http.js';
import { nginxInFront } from '../helpers/nginx-front.js';
import { testPostgres } from '../helpers/postgres.js';
import { describeRun, run, waitFor } from '../helpers/proc.js';

const pg = await testPostgres(t);
if ('skip' in pg) {
  t.pass(pg.skip, { skip: pg.skip });
} else {
  const db = await pg.database();
  const c = await useCluster(t, {
    nodes: [{ zone: 'a' }, { zone: 'b' }],
    chunkSize: 65536,
    replicas: 2,
    moreTrackers: 1,
    trackerArgs: ['--meta', db],
  });
  const [A, B] = c.trackers as [(typeof c.trackers)[0], (typeof c.trackers)[0]];
  const work = await tempDir();
  t.teardown(work.cleanup);
  const secret = c.secret;
  const nodesAt = (base: string) => callJson<NodeStatus[]>(base, 'GET', TRACKER.adminNodes, { secret, timeoutMs: 5_000 });
  const workersAt = (base: string) => callJson<WorkerStatus[]>(base, 'GET', TRACKER.adminWorkers, { secret, timeoutMs: 5_000 });
  const stateAt = async (base: string, id: string) => (await nodesAt(base)).find((n) => n.id === id)?.state;
  const admin = (trackers: string, args: string[]) =>
    run(process.execPath, [BIN.admin, '--tracker', trackers, ...args], { env: { ...process.env, HOARD_SECRET: secret, HOARD_LOG_LEVEL: 'warn' }, timeoutMs: 30_000 });
  await waitFor('both nodes up at the second tracker', async () => (await nodesAt(B.url)).filter((n) => n.state === 'up').length === 2, 20_000, 150);

  const nginx = await nginxInFront(t, [A.url, B.url]);

  let seq = 0;
  const upload = async (base: string): Promise<UploadResult> => {
    const f = await makeRandomFile(join(work.dir, `f${++seq}.bin`), 90_000 + seq);
    const r = await curlUpload<UploadResult>(`${base}/upload/f${seq}.bin`, f.path);
    if (r.status !== 201 || !r.json) throw new Error(`upload through ${base}: ${r.status} ${describeRun(r.run)}`);
    return r.json;
  };
  /** Downloads a link's bytes through `base` (whichever tracker made the link). */
  const downloads = async (base: string, u: UploadResult): Promise<boolean> => {
    const out = join(work.dir, `dl-${++seq}`);
    const r = await curl(['-s', '-L', '-f', '-o', out, `${base}/f/${u.id}`]);
    return r.code === 0 && sha256(await readFile(out)) === u.sha256;
  };

  await t.test('any tracker answers any request', async (t) => {
    const u = await upload(A.url);
    t.ok(await downloads(B.url, u), 'uploaded through A, downloaded through B');
    const info = await callJson<{ size: number }>(B.url, 'GET', TRACKER.linkInfo + u.id);
    t.equal(info.size, u.size, 'B answers the link A made');
    if (!nginx) {
      t.pass('nginx is not installed: the proxy in front of the trackers is not tried', { skip: true });
      return;
    }
    const v = await upload(nginx);
    t.ok(await downloads(nginx, v), 'uploaded and downloaded through nginx');
  });

  await t.test('each leased worker runs at one tracker; replicate at each', async (t) => {
    const holder = await waitFor('every lease held', async () => {
      const [a, b] = [await workersAt(A.url), await workersAt(B.url)];
      const ra = a.find((w) => w.name === 'repair');
      const rb = b.find((w) => w.name === 'repair');
      return ra?.holder !== undefined && ra.holder === rb?.holder ? ra.holder : undefined;
    }, 20_000, 200);
    t.match(holder, new RegExp(`:${A.port} pid `), 'the first tracker up holds repair');
    const atB = await workersAt(B.url);
    t.notOk(atB.find((w) => w.name === 'repair')?.here, 'B knows it is not the holder');
    t.equal(atB.find((w) => w.name === 'replicate')?.holder, undefined, 'replicate has no lease');
    const refused = await admin(B.url, ['worker', 'run', 'gc']);
    t.not(refused.code, 0, 'a run asked of the tracker without the lease is refused');
    t.match(refused.stderr, /WORKER_ELSEWHERE/);
    const moved = await admin(`${B.url},${A.url}`, ['worker', 'run', 'gc']);
    t.equal(moved.code, 0, `hoard-admin given both trackers runs it at the holder: ${describeRun(moved)}`);
  });

  await t.test('both trackers agree a killed node is down', async (t) => {
    const node = c.nodes[1]!;
    await node.kill('SIGKILL');
    for (const tr of [A, B]) await waitFor(`node down at ${tr.url}`, async () => (await stateAt(tr.url, node.id)) === 'down', 20_000, 100);
    t.pass('both see it down');
    await node.restart();
    await waitFor('the node up again at B', async () => (await stateAt(B.url, node.id)) === 'up', 20_000, 150);
    t.pass('and both see it back');
  });

  await t.test('a challenge one tracker issued is checked at the other: the duplicate stops early', async (t) => {
    // Nodes send their calls to one tracker (the first that answers): a duplicate created at each tracker has its answer checked at the other for one of the two.
    const f = await makeRandomFile(join(work.dir, 'proof.bin'), 3 * 1024 * 1024 + 4321);
    const put = async (tracker: string, i: number) => {
      const r = await run(process.execPath, [BIN.client, 'put', '--json', '--state-dir', join(work.dir, `state-${i}`), '--name', `proof-${i}.bin`, f.path], {
        env: { ...process.env, HOARD_TRACKER: tracker, HOARD_LOG_LEVEL: 'warn' },
        timeoutMs: 60_000,
      });
      if (r.code !== 0) throw new Error(`hoard put through ${tracker}: ${describeRun(r)}`);
      return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as PutResult;
    };
    const first = await put(A.url, 0);
    t.match(first, { sha256: f.sha256, earlyStop: false }, 'the first upload goes in full');
    for (const [i, tr] of [A, B].entries()) {
      const dup = await put(tr.url, i + 1);
      t.match(dup, { sha256: f.sha256, dedup: true, earlyStop: true }, `created at tracker ${i ? 'B' : 'A'}: stopped early`);
      t.ok(dup.sentBytes < f.size / 2, `and sent ${dup.sentBytes} of ${f.size} bytes`);
      t.ok(await downloads(B.url, { ...first, id: dup.id }), 'its link serves the bytes');
    }
  });

  await t.test('tracker A killed: B takes uploads, downloads, commits and the leases', async (t) => {
    const before = await upload(A.url);
    // A PUT URL A signed, used once A is gone: the node commits through B.
    const f = await makeRandomFile(join(work.dir, 'signed.bin'), 70_000);
    const target = await callJson<UploadTarget>(A.url, 'POST', TRACKER.uploadTarget, { body: { filename: 'signed.bin', size: f.size } });
    await A.kill('SIGKILL');
    const signed = await curlUpload<UploadResult>(target.url, f.path);
    t.equal(signed.status, 201, `a URL A signed still uploads, the node committing through B: ${describeRun(signed.run)}`);
    if (signed.json) t.ok(await downloads(B.url, signed.json), 'and its link downloads through B');
    t.ok(await downloads(B.url, before), 'a link made before the kill downloads through B');
    const after = await upload(B.url);
    t.ok(await downloads(B.url, after), 'B takes new uploads');
    if (nginx) {
      const v = await upload(nginx);
      t.ok(await downloads(nginx, v), 'nginx passes requests to B');
    }
    const repair = await waitFor('B holds the repair lease', async () => (await workersAt(B.url)).find((w) => w.name === 'repair' && w.here), 30_000, 250);
    t.match(repair.holder, new RegExp(`:${B.port} pid `), 'the lease moved to B');
  });
}
