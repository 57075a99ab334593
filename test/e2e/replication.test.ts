// Replication on a real three-zone cluster (127.0.0.1): every upload reaches
// two verified copies in two zones, reads avoid a failed node, a node that
// returns with a lost and an extra copy is reconciled, and a drain empties a
// node while its blobs keep two copies elsewhere.
import t from 'tap';
import { cp, rm } from 'node:fs/promises';
import type { NodeStatus, RepairStatus, UploadResult, UploadTarget } from '../../common/protocol/types.js';
import { NODE_ID_HEADER } from '../../common/protocol/routes.js';
import type { WorkerStatus } from '../../common/worker.js';
import { useCluster, type BlobRecord, type Cluster, type ClusterNode } from '../helpers/cluster.js';
import { blobDir, blobIdsOnDisk, makeRandomFile, tempDir } from '../helpers/files.js';
import { curlJson, curlUpload, http } from '../helpers/http.js';
import { describeRun, waitFor } from '../helpers/proc.js';
import { copyProblem } from '../helpers/replicas.js';

const NEVER = '0 0 1 1 *';
const c: Cluster = await useCluster(t, {
  nodes: [{ zone: 'a' }, { zone: 'b' }, { zone: 'c' }],
  chunkSize: 65536,
  replicas: 2,
  trackerArgs: [
    // Copies made after the fact, by the workers: the write pipeline has its own test (write-quorum.test.ts).
    '--ack-copies', '1',
    '--replicate-schedule', '*/1 * * * * *',
    '--repair-schedule', '*/1 * * * * *',
    '--reconcile-schedule', NEVER,
    '--rebalance-schedule', NEVER,
    '--reconcile-min-age', '0',
    '--repair-grace', '1000',
  ],
});
const work = await tempDir();
t.teardown(work.cleanup);

const uploaded: UploadResult[] = [];
/** A blob whose lost copy was made again seconds after its first one. */
let recopied = '';
const nodeById = (id: string): ClusterNode => c.nodes.find((n) => n.id === id)!;

/** Problems with the replication of every uploaded blob ([] when each has exactly two verified copies in two zones). */
async function replicationProblems(exclude: string[] = []): Promise<string[]> {
  const blobs = await c.blobs();
  const out: string[] = [];
  for (const u of uploaded) {
    const b = blobs.find((x) => x.id === u.sha256);
    if (!b) {
      out.push(`${u.sha256.slice(0, 8)}: not in the index`);
      continue;
    }
    const zones = new Set(b.nodes.map((id) => nodeById(id)?.zone));
    if (b.nodes.length !== 2 || zones.size !== 2) out.push(`${b.id.slice(0, 8)}: holders ${b.nodes.join(',')}`);
    for (const id of b.nodes) {
      if (exclude.includes(id)) out.push(`${b.id.slice(0, 8)}: still listed on ${id}`);
      const why = nodeById(id) && (await copyProblem(nodeById(id).dataDir, b.id, u));
      if (why) out.push(`${b.id.slice(0, 8)} on ${id}: ${why}`);
    }
  }
  return out;
}

async function settled(what: string, exclude: string[] = [], timeoutMs = 20_000): Promise<number> {
  const started = Date.now();
  let last: string[] = [];
  try {
    await waitFor(what, async () => (last = await replicationProblems(exclude)).length === 0, timeoutMs, 200);
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${last.join('; ')}`);
  }
  return Date.now() - started;
}

t.test('every upload reaches two verified copies in two zones', async (t) => {
  const sizes = [0, 1, 65536, 200_000, 300_001, 1 << 20];
  for (const [i, size] of sizes.entries()) {
    const f = await makeRandomFile(`${work.dir}/f${i}.bin`, size);
    const r = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/f${i}.bin`, f.path);
    t.equal(r.status, 201, `upload ${i}: ${describeRun(r.run)}`);
    uploaded.push(r.json!);
  }
  const ms = await settled('two copies of every upload');
  t.pass(`replicated in ${ms} ms`);
  const status = await c.admin<RepairStatus>(['repair']);
  t.equal(status.counts.belowFactor, 0, 'hoard-admin repair: nothing below the factor');
  t.equal(status.counts.copies + status.counts.drops + status.counts.forgets, 0, 'empty backlog');
  t.ok(status.totals.copied >= sizes.length, 'copies counted');
});

t.test('GET /f/<id>?avoid= sends the client to the other copy', async (t) => {
  const linkId = uploaded[5]!.id;
  const first = await http(`${c.trackerUrl}/f/${linkId}`);
  t.equal(first.status, 302);
  const a = first.headers[NODE_ID_HEADER]!;
  t.ok(a, 'the redirect names its node');
  const blob = (await c.blobs()).find((b) => b.id === uploaded[5]!.sha256)!;
  for (let i = 0; i < 5; i++) {
    const r = await http(`${c.trackerUrl}/f/${linkId}?avoid=${a}`);
    t.equal(r.status, 302);
    t.not(r.headers[NODE_ID_HEADER], a, 'never the avoided node while another copy is live');
  }
  const both = await http(`${c.trackerUrl}/f/${linkId}?avoid=${blob.nodes[0]}&avoid=${blob.nodes[1]}`);
  t.equal(both.status, 302, 'every copy avoided: one of them anyway, not 503');
});

t.test('workers are listed and run on demand', async (t) => {
  const list = await c.admin<WorkerStatus[]>(['workers']);
  t.same(list.map((w) => w.name).sort(), ['fsck', 'gc', 'rebalance', 'reconcile', 'repair', 'replicate', 'takedown-purge']);
  const run = await c.admin<{ name: string; report: Record<string, number> }>(['worker', 'run', 'repair']);
  t.equal(run.name, 'repair');
  t.equal(run.report.belowFactor, 0);
  const bad = await c.adminRun(['worker', 'run', 'nope']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /WORKER_NOT_FOUND/);
  const table = await c.adminRun(['workers']);
  t.match(table.stdout, /replicate/);

  // A node's workers: one pool, listed and run through the same commands.
  const node = c.nodes[0]!.id;
  const onNode = await c.admin<WorkerStatus[]>(['workers', '--node', node]);
  t.same(onNode.map((w) => w.name).sort(), ['orphans', 'scrub', 'tus-expiry'], 'scrub, orphans and tus-expiry in one pool');
  const expiry = await c.admin<{ name: string; report: Record<string, number> }>(['worker', 'run', 'tus-expiry', '--node', node]);
  t.equal(expiry.name, 'tus-expiry');
  t.type(expiry.report.expired, 'number');
  const after = (await c.admin<WorkerStatus[]>(['workers', '--node', node])).find((w) => w.name === 'tus-expiry')!;
  t.ok(after.runs >= 1, 'the run shows in the node\'s worker status');
  const missing = await c.adminRun(['worker', 'run', 'nope', '--node', node]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /NOT_FOUND/);
  const unknownNode = await c.adminRun(['workers', '--node', 'no-such-node']);
  t.equal(unknownNode.code, 1);
});

t.test('a node that returns with a lost and an extra copy is reconciled', async (t) => {
  // A node that holds some blobs and lacks others. Placement may have put every
  // blob on the same two nodes; more uploads then spread them (bounded).
  const pick = (blobs: BlobRecord[]) => c.nodes.find((n) => blobs.some((b) => b.nodes.includes(n.id)) && blobs.some((b) => !b.nodes.includes(n.id)));
  let blobs = (await c.blobs()).filter((b) => b.size > 0);
  for (let i = 0; !pick(blobs) && i < 20; i++) {
    const f = await makeRandomFile(`${work.dir}/spread${i}.bin`, 70_000);
    const r = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/spread${i}.bin`, f.path);
    t.equal(r.status, 201, describeRun(r.run));
    uploaded.push(r.json!);
    await settled('two copies of the extra upload');
    blobs = (await c.blobs()).filter((b) => b.size > 0);
  }
  const z = pick(blobs);
  if (!z) throw new Error(`every blob sits on the same nodes: ${JSON.stringify(blobs.map((b) => b.nodes))}`);
  const lost = blobs.find((b) => b.nodes.includes(z.id))!;
  recopied = lost.id;
  const extra = blobs.find((b) => !b.nodes.includes(z.id))!;
  await z.kill('SIGTERM');
  await rm(blobDir(z.dataDir, lost.id), { recursive: true });
  await cp(blobDir(nodeById(extra.nodes[0]!).dataDir, extra.id), blobDir(z.dataDir, extra.id), { recursive: true });
  await z.restart();
  const ms = await settled('reconciled after the restart');
  // The node was down from the moment it stopped: repair may have settled the lost copy before reconcile ran.
  await waitFor('the extra copy to be removed', async () => !(await blobIdsOnDisk(z.dataDir)).includes(extra.id), 20_000);
  t.pass('the extra copy was removed');
  t.pass(`reconciled in ${ms} ms`);
  const rec = (await c.admin<WorkerStatus[]>(['workers'])).find((w) => w.name === 'reconcile')!;
  t.ok((rec.lastReport?.staleForgotten ?? 0) + (rec.lastReport?.extraRemoved ?? 0) >= 1, `reconcile report ${JSON.stringify(rec.lastReport)}`);
});

t.test('every copy answers the blob\'s Last-Modified, so If-Range with a date works on another copy', async (t) => {
  const blob = (await c.blobs()).find((b) => b.id === recopied)!;
  const link = uploaded.find((u) => u.sha256 === recopied)!.id;
  t.equal(blob.nodes.length, 2, 'two copies, one of them made again after it was lost');
  // One signed URL per copy: the tracker sends the reader to the copy it does not avoid.
  const urls: string[] = [];
  for (const [i, other] of [blob.nodes[1], blob.nodes[0]].entries()) {
    const r = await http(`${c.trackerUrl}/f/${link}?avoid=${other}`);
    t.equal(r.headers[NODE_ID_HEADER], blob.nodes[i], `redirect to ${blob.nodes[i]}`);
    urls.push(r.headers.location!);
  }
  const heads = await Promise.all(urls.map((u) => http(u, { method: 'HEAD' })));
  const dates = heads.map((h) => h.headers['last-modified']);
  t.ok(dates[0], 'Last-Modified sent');
  t.equal(dates[1], dates[0], 'the same Last-Modified on both copies');
  // The blob lost and copied again may be any of the sizes uploaded, one byte included.
  const first = Math.min(10, blob.size - 1);
  const last = Math.min(19, blob.size - 1);
  const ranged = await http(urls[1]!, { headers: { range: `bytes=${first}-${last}`, 'if-range': dates[0]! } });
  t.equal(ranged.status, 206, 'If-Range with the first copy\'s date: the range from the second copy');
  t.equal(ranged.body.length, last - first + 1);
});

t.test('drain moves every blob off a node; new uploads avoid it', async (t) => {
  const d = c.nodes[0]!;
  // A blob on the node to drain, whatever the tests before left there.
  const f = await makeRandomFile(`${work.dir}/to-drain.bin`, 70_000);
  const put = await curlJson<UploadResult>(['-T', f.path, c.signUpload(d, 'to-drain.bin')]);
  t.equal(put.status, 201, put.text);
  uploaded.push(put.json!);
  await settled('two copies of the blob on the node to drain');
  await waitFor('the node reports it', async () => ((await c.nodeStatuses()).find((n) => n.id === d.id)?.blobCount ?? 0) > 0, 10_000, 100);
  const r = await c.adminRun(['drain', d.id, '--wait', '--timeout', '60']);
  t.equal(r.code, 0, describeRun(r));
  t.match(r.stdout, /drained/);
  // At once, as an operator's next command would see it (the node's count comes with its heartbeat).
  const right = (await c.nodeStatuses()).find((n) => n.id === d.id);
  t.equal(right?.blobCount, 0, 'right after "drained", the node list shows no blob on the node');
  t.same(await blobIdsOnDisk(d.dataDir), [], 'and its disk holds none');
  const nodes = await c.admin<NodeStatus[]>(['nodes']);
  t.equal(nodes.find((n) => n.id === d.id)?.draining, true);
  await settled('two copies elsewhere after the drain', [d.id]);
  await waitFor('the drained node holds no blob on disk', async () => (await blobIdsOnDisk(d.dataDir)).length === 0, 10_000, 200);
  for (let i = 0; i < 6; i++) {
    const target = await c.api<UploadTarget>('POST', '/api/uploads', { filename: `x${i}.bin`, size: 70_000 });
    t.not(target.node, d.id, 'uploads are not sent to a draining node');
  }
  const undo = await c.adminRun(['drain', d.id, '--undo']);
  t.equal(undo.code, 0, describeRun(undo));
  t.notOk((await c.admin<NodeStatus[]>(['nodes'])).find((n) => n.id === d.id)?.draining, 'drain ended');
});
