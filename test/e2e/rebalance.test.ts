// Disk use evened out: two nodes, each on its own small tmpfs (so their fill
// levels differ as real disks would), one of them full of blobs. New uploads
// go to the empty node first, and the rebalance worker moves blobs over
// (copy, verify, then drop the old copy) until the two are level.
import t from 'tap';
import { join } from 'node:path';
import type { NodeStatus, UploadResult, UploadTarget } from '../../common/protocol/types.js';
import { useCluster } from '../helpers/cluster.js';
import { blobIdsOnDisk, makeRandomFile, tempDir } from '../helpers/files.js';
import { curlUpload } from '../helpers/http.js';
import { describeRun, waitFor } from '../helpers/proc.js';
import { copyProblem } from '../helpers/replicas.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

const MiB = 1024 * 1024;

const a = await mountTmpfs(t, '256m');
const b = typeof a === 'string' ? await mountTmpfs(t, '256m') : a;
if (typeof a !== 'string' || typeof b !== 'string') {
  t.plan(0, typeof a === 'string' ? (b as { skip: string }).skip : a.skip);
} else {
  await main(a, b);
}

async function main(dirA: string, dirB: string): Promise<void> {
  const NEVER = '0 0 1 1 *';
  const c = await useCluster(t, {
    nodes: [{ zone: 'a', dataDir: dirA }, { zone: 'b', dataDir: dirB }],
    chunkSize: '1MiB',
    replicas: 1,
    nodeArgs: ['--reserve', '0'],
    trackerArgs: ['--rebalance-schedule', NEVER, '--repair-schedule', NEVER, '--reconcile-schedule', NEVER, '--rebalance-threshold', '10'],
  });
  const work = await tempDir();
  t.teardown(work.cleanup);
  const [na, nb] = c.nodes as [typeof c.nodes[0], typeof c.nodes[0]];
  const uploaded: UploadResult[] = [];

  await t.test('one node fills up; new uploads then go to the emptier one', async (t) => {
    for (let i = 0; i < 8; i++) {
      const f = await makeRandomFile(join(work.dir, `f${i}.bin`), 8 * MiB);
      const r = await curlUpload<UploadResult>(c.signUpload(na, `f${i}.bin`), f.path);
      t.equal(r.status, 201, describeRun(r.run));
      uploaded.push(r.json!);
    }
    await waitFor('heartbeats report the fuller disk', async () => {
      const s = (await c.nodeStatuses()).find((n) => n.id === na.id)!;
      return s.totalBytes - s.freeBytes >= 60 * MiB;
    }, 10_000, 200);
    for (let i = 0; i < 6; i++) {
      const target = await c.api<UploadTarget>('POST', '/api/uploads', { filename: `n${i}.bin`, size: MiB });
      t.equal(target.node, nb.id, 'the empty node takes new uploads first');
    }
  });

  await t.test('the rebalance worker levels the two disks', async (t) => {
    const run1 = await c.admin<{ report: Record<string, number> }>(['worker', 'run', 'rebalance']);
    t.ok(run1.report.moved! >= 3, `moved ${run1.report.moved} blobs (${run1.report.bytesMoved} bytes)`);
    const onA = await blobIdsOnDisk(na.dataDir);
    const onB = await blobIdsOnDisk(nb.dataDir);
    t.equal(onA.length + onB.length, uploaded.length, 'every blob on exactly one node (one copy each)');
    const blobs = await c.blobs();
    for (const u of uploaded) {
      const rec = blobs.find((x) => x.id === u.sha256)!;
      t.equal(rec.nodes.length, 1);
      const holder = rec.nodes[0] === na.id ? na : nb;
      t.equal(await copyProblem(holder.dataDir, u.sha256, u), undefined, `${u.sha256.slice(0, 8)} verified on ${holder.id}`);
    }
    await waitFor('heartbeats report the new fill levels', async () => {
      const list = await c.nodeStatuses();
      const fill = (n: NodeStatus) => 1 - n.freeBytes / n.totalBytes;
      const [x, y] = [list.find((n) => n.id === na.id)!, list.find((n) => n.id === nb.id)!];
      return Math.abs(fill(x) - fill(y)) < 0.1;
    }, 10_000, 200);
    const run2 = await c.admin<{ report: Record<string, number> }>(['worker', 'run', 'rebalance']);
    t.equal(run2.report.moved, 0, 'level now: nothing more to move');
  });
}
