// The write quorum on a real three-zone cluster (127.0.0.1): with ackCopies
// 2 an upload's 201 (and tus's last 204) comes only once two verified copies
// in two zones exist; a follower killed mid-upload is replaced by the third
// zone, and with no zone left the client gets a clear error, never a 201
// with one copy. Replication after the fact is off: every second copy seen
// here was made by the pipeline.
import t from 'tap';
import { readdir, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { TRACKER } from '../../common/protocol/routes.js';
import { PIPE_PARAM, parseFollowers } from '../../common/protocol/pipeline.js';
import type { UploadResult, UploadTarget } from '../../common/protocol/types.js';
import { useCluster, type Cluster, type ClusterNode } from '../helpers/cluster.js';
import { makeRandomFile, tempDir, type TestFile } from '../helpers/files.js';
import { curlUpload, errorCode } from '../helpers/http.js';
import { waitFor } from '../helpers/proc.js';
import { copyProblem } from '../helpers/replicas.js';
import { md5Of, sha256Of, tusCreate, tusPatch } from '../helpers/tus.js';

const NEVER = '0 0 1 1 *';
const c: Cluster = await useCluster(t, {
  nodes: [{ zone: 'a' }, { zone: 'b' }, { zone: 'c' }],
  chunkSize: 65536,
  replicas: 2,
  // refuse: a node seen down for a moment on a loaded machine must not let an upload through with one copy.
  trackerArgs: ['--ack-copies', '2', '--under-quorum', 'refuse', '--replicate-schedule', NEVER, '--repair-schedule', NEVER, '--rebalance-schedule', NEVER],
});
const work = await tempDir();
t.teardown(work.cleanup);
const nodeById = (id: string): ClusterNode => c.nodes.find((n) => n.id === id)!;

/** Why `id` is not held, verified, on two nodes in two zones right now ([] when it is). */
async function quorumProblems(id: string, want: { md5: string; sha256: string; size: number }): Promise<string[]> {
  const blob = (await c.blobs()).find((b) => b.id === id);
  if (!blob) return ['not in the index'];
  const out: string[] = [];
  const zones = new Set(blob.nodes.map((n) => nodeById(n).zone));
  if (blob.nodes.length < 2 || zones.size < 2) out.push(`holders ${blob.nodes.join(',')} in ${zones.size} zone(s)`);
  for (const n of blob.nodes) {
    const why = await copyProblem(nodeById(n).dataDir, id, want);
    if (why) out.push(`${n}: ${why}`);
  }
  return out;
}

t.test('20 uploads at once: each 201 finds two verified copies in two zones', async (t) => {
  const files: TestFile[] = [];
  for (let i = 0; i < 20; i++) files.push(await makeRandomFile(join(work.dir, `q${i}.bin`), 100_000 + i * 37_000));
  const problems: string[] = [];
  let next = 0;
  await Promise.all(
    [0, 1, 2, 3].map(async () => {
      while (next < files.length) {
        const f = files[next++]!;
        // A client retries QUORUM_UNAVAILABLE (a heartbeat late under load); it is never an acknowledgement.
        const r = await waitFor('an answer other than QUORUM_UNAVAILABLE', async () => {
          const a = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/${f.path.split('/').pop()}`, f.path, ['-L']);
          return errorCode(a.text) === 'QUORUM_UNAVAILABLE' ? false : a;
        }, 30_000, 500);
        if (r.status !== 201 || !r.json) {
          problems.push(`${f.path}: ${r.status} ${r.text.slice(0, 200)}`);
          continue;
        }
        // Looked at right after the 201, before anything else could add a copy.
        for (const p of await quorumProblems(r.json.sha256, f)) problems.push(`${r.json.sha256.slice(0, 8)}: ${p}`);
      }
    }),
  );
  t.same(problems, []);
});

t.test('a tus upload: its last 204 finds two verified copies in two zones', async (t) => {
  const body = (await readFile((await makeRandomFile(join(work.dir, 'tus.bin'), 300_000)).path));
  const created = await waitFor('a tus creation (QUORUM_UNAVAILABLE while a heartbeat is late)', async () => {
    const a = await tusCreate(c.trackerUrl, { size: body.length, filename: 'tus.bin' });
    return errorCode(a.text) === 'QUORUM_UNAVAILABLE' ? false : a;
  }, 30_000, 500);
  t.equal(created.status, 201, created.text);
  t.equal((await tusPatch(created.url, 0, body.subarray(0, 150_000))).status, 204);
  const last = await tusPatch(created.url, 150_000, body.subarray(150_000));
  t.equal(last.status, 204, last.text);
  t.same(await quorumProblems(sha256Of(body), { md5: md5Of(body), sha256: sha256Of(body), size: body.length }), []);
});

/** A PUT straight to the target node whose body stops halfway until `resume` is called. */
function halfwayPut(url: string, body: Buffer): { resume(): void; answer: Promise<{ status: number; text: string }> } {
  let resume = (): void => undefined;
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: 'PUT', headers: { 'content-length': String(body.length) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (text += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    const half = body.length / 2;
    req.write(body.subarray(0, half));
    resume = () => req.end(body.subarray(half));
  });
  return { resume, answer };
}

/** The placement an upload gets, with the follower its signed URL names. */
async function target(name: string, size: number): Promise<{ url: string; first: ClusterNode; follower: ClusterNode }> {
  const tgt = await waitFor('an upload target (QUORUM_UNAVAILABLE while a heartbeat is late)', () => c.api<UploadTarget>('POST', TRACKER.uploadTarget, { filename: name, size }), 30_000, 500);
  const followers = parseFollowers(new URL(tgt.url).searchParams.get(PIPE_PARAM) ?? '') ?? [];
  if (followers.length !== 1) throw new Error(`expected one follower in ${tgt.url}`);
  return { url: tgt.url, first: nodeById(tgt.node), follower: nodeById(followers[0]!.id) };
}

/** Resolves once the follower has written some of the stream (it is mid-upload). */
async function followerReceiving(node: ClusterNode): Promise<void> {
  await waitFor(
    'the follower writing the stream',
    async () => {
      const tmp = join(node.dataDir, 'tmp');
      for (const d of await readdir(tmp)) for (const f of await readdir(join(tmp, d))) if ((await stat(join(tmp, d, f))).size > 0) return true;
      return false;
    },
    20_000,
  );
}

t.test('the follower killed mid-upload: replaced by the third zone, or a clear error', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'kill1.bin'), 2_000_000);
  const body = await readFile(f.path);
  const { url, follower } = await target('kill1.bin', body.length);
  const put = halfwayPut(url, body);
  await followerReceiving(follower);
  await follower.kill('SIGKILL');
  put.resume();
  const r = await put.answer;
  if (r.status === 201) {
    const res = JSON.parse(r.text) as UploadResult;
    t.same(await quorumProblems(res.sha256, f), [], 'a 201 comes with two verified copies in two zones');
    const blob = (await c.blobs()).find((b) => b.id === res.sha256)!;
    t.notOk(blob.nodes.includes(follower.id), 'the killed follower is not counted');
  } else {
    t.equal(r.status, 503, r.text);
    t.equal(errorCode(r.text), 'PIPELINE_FAILED');
  }

  t.test('with no zone left: 503 PIPELINE_FAILED and no link', async (t) => {
    await waitFor('the killed node marked down', async () => (await c.nodeStatuses()).find((n) => n.id === follower.id)?.state !== 'up', 30_000);
    const g = await makeRandomFile(join(work.dir, 'kill2.bin'), 2_000_000);
    const body2 = await readFile(g.path);
    const linksBefore = (await c.links()).length;
    const second = await target('kill2.bin', body2.length);
    const put2 = halfwayPut(second.url, body2);
    await followerReceiving(second.follower);
    await second.follower.kill('SIGKILL');
    put2.resume();
    const r2 = await put2.answer;
    t.equal(r2.status, 503, r2.text);
    t.equal(errorCode(r2.text), 'PIPELINE_FAILED');
    t.equal((await c.links()).length, linksBefore, 'nothing was acknowledged');
    t.notOk((await c.blobs()).some((b) => b.id === g.sha256), 'no blob record');
  });
});
