// What a plain client sees when a copy goes bad or a node dies, on a real
// two-zone cluster with two copies of each blob: a flipped byte never reaches
// a reader (before the first byte the node sends the reader back through its
// link to the good copy; mid-response it cuts, and `curl -C -` resumes from
// the good copy), and after `kill -9` of a node every `curl -L` started at
// once is served by the other (the tracker saw the node's stream close) and
// the under-replicated gauge counts its copies at once.
import t from 'tap';
import { join } from 'node:path';
import type { UploadResult } from '../../common/protocol/types.js';
import { useCluster, type Cluster, type ClusterNode } from '../helpers/cluster.js';
import { flipChunkByte, makeRandomFile, sha256File, tempDir, type TestFile } from '../helpers/files.js';
import { curl, curlUpload } from '../helpers/http.js';
import { describeRun, waitFor } from '../helpers/proc.js';

const CHUNK = 64 * 1024;
const NEVER = '0 0 1 1 *';
const c: Cluster = await useCluster(t, {
  nodes: [{ zone: 'a' }, { zone: 'b' }],
  chunkSize: CHUNK,
  replicas: 2,
  // Second copies come within a second; nothing else runs on its own.
  trackerArgs: ['--replicate-schedule', '*/1 * * * * *', '--repair-schedule', NEVER, '--reconcile-schedule', NEVER, '--rebalance-schedule', NEVER],
  nodeArgs: ['--scrub-schedule', NEVER, '--orphan-schedule', NEVER],
});
const [A, B] = c.nodes as [ClusterNode, ClusterNode];
const work = await tempDir();
t.teardown(work.cleanup);

const holdersOf = async (id: string) => (await c.blobs()).find((b) => b.id === id)?.nodes.slice().sort() ?? [];

/** Uploads `f` through the tracker and waits for its second copy. */
async function stored(f: TestFile, name: string): Promise<UploadResult> {
  const up = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/${name}`, f.path);
  if (up.status !== 201 || !up.json) throw new Error(`upload: ${up.status} ${up.text}; ${describeRun(up.run)}`);
  await waitFor(`two copies of ${name}`, async () => (await holdersOf(f.sha256)).length === 2, 20_000);
  return up.json;
}

const metricsText = async () => (await curl([`${c.trackerUrl}/metrics`])).stdout;
const underReplicated = (text: string): number => Number(/^hoard_blobs_under_replicated (\S+)$/m.exec(text)?.[1] ?? NaN);

/** `curl -L` of `url` into a file; its exit code and the file's SHA-256 ('' when curl failed). */
async function download(url: string, out: string, extra: string[] = []): Promise<{ code: number; sha: string; why: string }> {
  const r = await curl(['-L', '-f', '-o', out, ...extra, url]);
  return { code: r.code ?? -1, sha: r.code === 0 ? await sha256File(out) : '', why: describeRun(r) };
}

t.test('kill -9 of a node: 50 plain curl -L downloads started at once all succeed', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'kill.bin'), 2 * CHUNK + 5);
  const up = await stored(f, 'kill.bin');
  await A.kill('SIGKILL');
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => download(up.link, join(work.dir, `kill-${i}.out`))));
  const failed = results.map((r, i) => ({ ...r, i })).filter((r) => r.code !== 0 || r.sha !== f.sha256);
  t.same(failed.map((r) => `${r.i}: ${r.why}`), [], 'every download got the whole file');
  const a = (await c.nodeStatuses()).find((n) => n.id === A.id);
  t.equal(a?.state, 'down', 'the tracker lists the killed node as down');
  // No repair scan runs in this cluster: only the recount on a change of state moves the gauge.
  const below = await waitFor('the under-replicated gauge to count the lost copies', async () => {
    const n = underReplicated(await metricsText());
    return n > 0 && n;
  });
  t.equal(below, 1, 'hoard_blobs_under_replicated counts the blob while its node is down');

  await A.restart();
  t.equal((await c.nodeStatuses()).find((n) => n.id === A.id)?.state, 'up', 'it is up again after a restart');
  await waitFor('the gauge back at 0', async () => underReplicated(await metricsText()) === 0);
});

t.test('a flipped byte before the first byte sent: the reader is sent on to the good copy, the bad one is reported', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'flip.bin'), 3 * CHUNK + 99);
  const up = await stored(f, 'flip.bin');
  await flipChunkByte(A.dataDir, f.sha256, 0, 5, true);

  // The first download is steered to the bad copy (a plain client would land there by chance).
  const first = await download(`${up.link}?avoid=${B.id}`, join(work.dir, 'flip-0.out'));
  t.equal(first.code, 0, `download through the bad copy: ${first.why}`);
  t.equal(first.sha, f.sha256, 'the reader got the good bytes');
  await waitFor('the tracker to drop the bad copy', async () => (await holdersOf(f.sha256)).join() === B.id, 10_000);
  for (let i = 1; i < 10; i++) {
    const d = await download(up.link, join(work.dir, `flip-${i}.out`));
    t.equal(d.code, 0, `download ${i}: ${d.why}`);
    t.equal(d.sha, f.sha256, `download ${i} carries no flipped byte`);
  }
});

t.test('a flipped byte mid-response: the connection is cut and curl -C - resumes from the good copy', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'cut.bin'), 5 * CHUNK);
  const up = await stored(f, 'cut.bin');
  await flipChunkByte(A.dataDir, f.sha256, 3, 7, true);

  const out = join(work.dir, 'cut.out');
  const cut = await curl(['-L', '-f', '-o', out, `${up.link}?avoid=${B.id}`]);
  t.not(cut.code, 0, 'curl reports the transfer cut short');
  await waitFor('the tracker to drop the bad copy', async () => (await holdersOf(f.sha256)).join() === B.id, 10_000);
  const resumed = await download(up.link, out, ['-C', '-']);
  t.equal(resumed.code, 0, `curl -C - -L: ${resumed.why}`);
  t.equal(resumed.sha, f.sha256, 'the resumed file is whole and correct');
});
