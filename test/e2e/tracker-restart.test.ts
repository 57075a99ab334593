// The tracker killed (SIGKILL) and restarted on the same data and port: no
// committed link is lost, nodes come back without a restart of their own, an
// upload whose body was streaming to a node when the tracker died completes,
// one refused while it was down succeeds when retried, and replication
// carries on for what was committed.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { UploadResult } from '../../common/protocol/types.js';
import { freePort, useCluster } from '../helpers/cluster.js';
import { makeRandomFile, sha256, tempDir, type TestFile } from '../helpers/files.js';
import { curl, curlUpload } from '../helpers/http.js';
import { describeRun, waitFor } from '../helpers/proc.js';

const c = await useCluster(t, {
  nodes: [{ zone: 'a' }, { zone: 'b' }],
  chunkSize: 65536,
  replicas: 2,
  trackerPort: await freePort(),
  trackerArgs: ['--replicate-schedule', '*/1 * * * * *', '--repair-schedule', '*/1 * * * * *'],
});
const work = await tempDir();
t.teardown(work.cleanup);

async function upload(f: TestFile, name: string): Promise<UploadResult> {
  const r = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/${name}`, f.path);
  if (r.status !== 201 || !r.json) throw new Error(`upload ${name}: ${r.status} ${describeRun(r.run)}`);
  return r.json;
}

async function downloads(u: UploadResult): Promise<boolean> {
  const out = join(work.dir, `dl-${u.id}`);
  const r = await curl(['-L', '-f', '-o', out, u.link]);
  return r.code === 0 && sha256(await readFile(out)) === u.sha256;
}

t.test('kill the tracker mid-upload and restart it: no committed link lost', async (t) => {
  const committed: UploadResult[] = [];
  for (let i = 0; i < 8; i++) committed.push(await upload(await makeRandomFile(join(work.dir, `c${i}.bin`), 50_000 + i * 30_000), `c${i}.bin`));

  // An upload straight to a node whose body is half sent when the tracker dies.
  const slow = await makeRandomFile(join(work.dir, 'slow.bin'), 600_000);
  const body = await readFile(slow.path);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  async function* pieces(): AsyncGenerator<Buffer> {
    yield body.subarray(0, 300_000);
    await gate;
    yield body.subarray(300_000);
  }
  const inFlight = request(c.signUpload(c.nodes[0]!, 'slow.bin'), {
    method: 'PUT',
    body: Readable.from(pieces()),
    headers: { 'content-length': String(body.length) },
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  }).then(async (res) => ({ status: res.statusCode, json: (await res.body.json()) as UploadResult }));
  await sleep(300);

  await c.tracker.proc.kill('SIGKILL');
  // While it is down, a new upload is refused at once, cleanly.
  const refused = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/late.bin`, join(work.dir, 'c0.bin'));
  t.not(refused.status, 201, `an upload while the tracker is down fails (curl exit ${refused.run.code})`);
  release(); // the rest of the body reaches the node, which must commit to a tracker that is not there yet
  await sleep(500);
  await c.restartTracker();

  const slowAnswer = await inFlight;
  t.equal(slowAnswer.status, 201, 'the in-flight upload completed once the tracker was back');
  t.equal(slowAnswer.json.sha256, slow.sha256);

  // A restarted tracker knows its nodes from its store; they are up again at their next heartbeat.
  await c.waitUp();
  t.pass('both nodes are up again without restarting');
  const late = await upload(await makeRandomFile(join(work.dir, 'late.bin'), 70_000), 'late.bin');
  t.ok(late.link, 'the refused upload succeeds when retried');
  for (const u of [...committed, slowAnswer.json, late]) t.ok(await downloads(u), `${u.id} downloads byte-identical after the restart`);
  const stats = await c.stats();
  t.equal(stats.links, committed.length + 2, 'every link is in the index, once');

  // Replication resumes from the index: every blob reaches both zones.
  await waitFor(
    'every blob on both nodes',
    async () => (await c.blobs()).every((b) => b.nodes.length === 2),
    20_000,
    200,
  );
  t.pass('replication carried on after the restart');
});

t.test('a burst of uploads with the tracker killed in the middle: every acknowledged link survives', async (t) => {
  const files = await Promise.all(Array.from({ length: 12 }, (_, i) => makeRandomFile(join(work.dir, `b${i}.bin`), 120_000 + i * 1000)));
  const burst = Promise.all(files.map((f, i) => curlUpload<UploadResult>(`${c.trackerUrl}/upload/b${i}.bin`, f.path)));
  await sleep(150);
  await c.tracker.proc.kill('SIGKILL');
  await sleep(300);
  await c.restartTracker();
  const answers = await burst;
  await c.waitUp();
  const acked = answers.filter((a) => a.status === 201 && a.json).map((a) => a.json!);
  t.comment(`${acked.length} of ${files.length} uploads acknowledged around the kill`);
  for (const u of acked) t.ok(await downloads(u), `acknowledged ${u.id} survives the kill`);
  for (const [i, a] of answers.entries()) {
    if (a.status === 201) continue;
    const again = await upload(files[i]!, `b${i}.bin`);
    t.ok(await downloads(again), `upload ${i}, refused around the kill (HTTP ${a.status}), succeeds when retried`);
  }
});
