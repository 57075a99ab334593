// A node whose disk fills (a 20 MiB tmpfs) next to one with room: uploads to
// it get 507 and leave nothing, it keeps serving what it holds, and the
// tracker sends the next uploads to the other node, since heartbeats report
// free space net of the node's reserve.
import t from 'tap';
import { join } from 'node:path';
import type { UploadResult } from '../../common/protocol/types.js';
import { useCluster } from '../helpers/cluster.js';
import { blobIdsOnDisk, listDir, listFiles, makeRandomFile, sha256File, tempDir } from '../helpers/files.js';
import { chunkOf, curl, curlJson, curlUpload, errorCode, RawHttp, requestHead } from '../helpers/http.js';
import { describeRun, waitFor } from '../helpers/proc.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

const MiB = 1024 * 1024;

const disk = await mountTmpfs(t, '20m');
if (typeof disk !== 'string') t.plan(0, disk.skip);
else await main(disk);

async function main(mnt: string): Promise<void> {
  const c = await useCluster(t, {
    nodes: [{ zone: 'full', dataDir: mnt, args: ['--reserve', '1MiB'] }, { zone: 'roomy' }],
    chunkSize: MiB,
    // Nodes already leave out their reserve; the margin only covers heartbeat lag.
    trackerArgs: ['--upload-margin', '1MiB'],
  });
  const [full, roomy] = c.nodes;
  const work = await tempDir();
  t.teardown(work.cleanup);
  const freeAtTracker = async (id: string) => (await c.nodeStatuses()).find((s) => s.id === id)?.freeBytes ?? -1;

  // Set up before the first subtest: tap ends a file whose subtests are all done.
  const freeBefore = await freeAtTracker(full!.id);
  const big = await makeRandomFile(join(work.dir, 'big.bin'), 15 * MiB);
  const bigUp = await curlJson<UploadResult>(['-T', big.path, c.signUpload(full!, 'big.bin')], 60_000);

  await t.test('the small node reports its free space net of the reserve', async (t) => {
    t.ok(freeBefore > 15 * MiB && freeBefore <= 19 * MiB, `free ${freeBefore} bytes of a 20 MiB tmpfs with a 1 MiB reserve`);
  });

  await t.test('uploads to the full node get 507 and leave nothing behind', async (t) => {
    t.equal(bigUp.status, 201, `a 15 MiB blob fills most of the node: ${bigUp.text.slice(0, 200)}`);
    const blobsBefore = await blobIdsOnDisk(mnt);
    const trackerBlobs = (await c.blobs()).length;

    const next = await makeRandomFile(join(work.dir, 'next.bin'), 8 * MiB);
    const declared = await curlJson<UploadResult>(['-T', next.path, c.signUpload(full!, 'next.bin')], 60_000);
    t.equal(declared.status, 507, `declared 8 MiB: ${declared.text.slice(0, 200)}`);
    t.equal(errorCode(declared.text), 'INSUFFICIENT_STORAGE');

    // No declared length: the node finds out while writing.
    const conn = await RawHttp.connect(full!.port);
    t.teardown(() => conn.destroy());
    await conn.write(requestHead('PUT', c.signUpload(full!, 'chunked.bin'), { 'transfer-encoding': 'chunked' }));
    const piece = Buffer.alloc(256 * 1024, 7);
    for (let sent = 0; sent < 8 * MiB && conn.responses.length === 0 && !conn.closed; sent += piece.length) {
      if (!(await conn.write(chunkOf(piece)))) break;
    }
    if (conn.responses.length === 0 && !conn.closed) await conn.write(chunkOf(Buffer.alloc(0)));
    const ans = await conn.response(20_000);
    t.equal(ans.status, 507, `chunked body: ${ans.body.toString().slice(0, 200)}`);

    await waitFor('tmp/ to be empty', async () => (await listDir(join(mnt, 'tmp'))).length === 0, 5_000).catch(() => undefined);
    t.same(await listFiles(join(mnt, 'tmp')), [], 'no partial chunk files');
    t.same(await blobIdsOnDisk(mnt), blobsBefore, 'no new blob folder');
    t.equal((await c.blobs()).length, trackerBlobs, 'no new blob at the tracker');
  });

  await t.test('the full node keeps serving what it holds', async (t) => {
    const out = join(work.dir, 'big.out');
    const r = await curl(['-L', '-o', out, '-w', '%{http_code}', bigUp.json?.link ?? '']);
    t.equal(r.stdout, '200', describeRun(r));
    t.equal(await sha256File(out), big.sha256);
  });

  await t.test('the tracker sends the next uploads to the node with room', async (t) => {
    await waitFor('a heartbeat with the new free space', async () => (await freeAtTracker(full!.id)) < 5 * MiB, 10_000, 200);
    for (let i = 0; i < 6; i++) {
      const f = await makeRandomFile(join(work.dir, `more-${i}.bin`), 5 * MiB);
      const up = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/more-${i}.bin`, f.path);
      t.equal(up.status, 201, `upload ${i} through the tracker: ${up.text.slice(0, 200)}`);
      const rec = (await c.blobs()).find((b) => b.id === f.sha256);
      t.same(rec?.nodes, [roomy!.id], `upload ${i} went to the node with room`);
    }
  });
}
