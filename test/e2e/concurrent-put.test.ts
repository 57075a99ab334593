// 50 clients upload one new file at the same moment, each through the
// resumable path with declared hashes: one blob, 50 links, one copy on disk.
import t from 'tap';
import { join } from 'node:path';
import { putFile, type PutResult } from '../../client/tus-upload.js';
import { useCluster } from '../helpers/cluster.js';
import { blobIdsOnDisk, listDir, listFiles, makeRandomFile, sha256File, tempDir } from '../helpers/files.js';
import { curl } from '../helpers/http.js';
import { describeRun } from '../helpers/proc.js';

const MiB = 1 << 20;
const CLIENTS = 50;
const work = await tempDir();
t.teardown(work.cleanup);
const c = await useCluster(t, { nodes: [{ zone: 'a' }, { zone: 'b' }], chunkSize: MiB });

t.test(`${CLIENTS} clients upload one new file at once`, async (t) => {
  const f = await makeRandomFile(join(work.dir, 'same.bin'), 3 * MiB + 4321);
  const blobsBefore = (await c.blobs()).length;
  const linksBefore = (await c.links()).length;
  const settled = await Promise.allSettled(Array.from({ length: CLIENTS }, () => putFile(c.trackerUrl, f.path, { stateDir: '' })));
  const ok = settled.filter((s): s is PromiseFulfilledResult<PutResult> => s.status === 'fulfilled').map((s) => s.value);
  for (const s of settled) if (s.status === 'rejected') t.fail(`an upload failed: ${(s.reason as Error).message}`);
  t.equal(ok.length, CLIENTS, 'every upload succeeded');
  t.equal(new Set(ok.map((r) => r.id)).size, CLIENTS, `${CLIENTS} distinct links`);
  t.ok(ok.every((r) => r.sha256 === f.sha256 && r.md5 === f.md5 && r.size === f.size), 'all report the same identity');
  t.equal(ok.filter((r) => !r.dedup).length, 1, 'exactly one upload created the blob');
  t.comment(`${ok.filter((r) => r.earlyStop).length} of ${CLIENTS} stopped early (they started after the first one finished)`);
  t.equal((await c.blobs()).length, blobsBefore + 1, 'one new blob');
  t.equal((await c.links()).length, linksBefore + CLIENTS, `${CLIENTS} new links`);

  const holders: string[] = [];
  for (const n of c.nodes) if ((await blobIdsOnDisk(n.dataDir)).includes(f.sha256)) holders.push(n.id);
  t.equal(holders.length, 1, `one copy on disk across the nodes (${holders.join(', ')})`);
  t.same((await c.blobs()).find((b) => b.id === f.sha256)?.nodes, holders, 'the tracker records the node that holds it');
  for (const n of c.nodes) {
    t.same(await listDir(join(n.dataDir, 'tmp')), [], `node ${n.index}: no temp folders`);
    t.same((await listFiles(join(n.dataDir, 'tus'))).filter((p) => !p.endsWith('.json')), [], `node ${n.index}: no upload chunks left`);
  }
  const out = join(work.dir, 'sample.out');
  const r = await curl(['-L', '-o', out, '-w', '%{http_code}', ok[CLIENTS - 1]!.link]);
  t.equal(r.stdout, '200', describeRun(r));
  t.equal(await sha256File(out), f.sha256, 'a link downloads the file');
});
