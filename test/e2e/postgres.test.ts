// A real tracker keeping its metadata in PostgreSQL (--meta postgres://…),
// with two nodes: uploads, deduplication, link info, downloads and
// replication go through the database; a tracker killed (SIGKILL) and
// started again on it has lost no acknowledged link.
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LinkInfo, UploadResult } from '../../common/protocol/types.js';
import { freePort, useCluster } from '../helpers/cluster.js';
import { makeRandomFile, sha256, tempDir, type TestFile } from '../helpers/files.js';
import { curl, curlJson, curlUpload } from '../helpers/http.js';
import { testPostgres } from '../helpers/postgres.js';
import { describeRun, waitFor } from '../helpers/proc.js';

const pg = await testPostgres(t);
if ('skip' in pg) {
  t.pass(pg.skip, { skip: pg.skip });
} else {
  const db = await pg.database();
  const c = await useCluster(t, {
    nodes: [{ zone: 'a' }, { zone: 'b' }],
    chunkSize: 65536,
    replicas: 2,
    trackerPort: await freePort(),
    trackerArgs: ['--meta', db, '--replicate-schedule', '*/1 * * * * *'],
  });
  const work = await tempDir();
  t.teardown(work.cleanup);

  const upload = async (f: TestFile, name: string): Promise<UploadResult> => {
    const r = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/${name}`, f.path);
    if (r.status !== 201 || !r.json) throw new Error(`upload ${name}: ${r.status} ${describeRun(r.run)}`);
    return r.json;
  };
  const downloads = async (u: UploadResult): Promise<boolean> => {
    const out = join(work.dir, `dl-${u.id}`);
    const r = await curl(['-L', '-f', '-o', out, u.link]);
    return r.code === 0 && sha256(await readFile(out)) === u.sha256;
  };
  const linkId = (u: UploadResult) => new URL(u.link).pathname.split('/').pop()!;

  await t.test('upload, dedup, link info and download through PostgreSQL', async (t) => {
    const a = await makeRandomFile(join(work.dir, 'a.bin'), 300_000);
    const b = await makeRandomFile(join(work.dir, 'b.bin'), 40_000);
    const ua = await upload(a, 'a.bin');
    const ub = await upload(b, 'b.bin');
    const again = await upload(a, 'a-again.bin');
    t.equal(again.sha256, ua.sha256, 'the same content is one blob');
    t.ok(again.dedup, 'the second upload of a content is a duplicate');
    t.not(linkId(again), linkId(ua), 'with a link of its own');

    const info = await curlJson<LinkInfo>([`${c.trackerUrl}/api/links/${linkId(again)}`]);
    t.equal(info.json?.filename, 'a-again.bin');
    t.equal(info.json?.size, a.size);
    for (const u of [ua, ub, again]) t.ok(await downloads(u), `${u.link} downloads byte-identical`);

    const rows = await pg.sql<{ blobs: number; links: number }>(db, 'SELECT (SELECT count(*) FROM blobs)::int AS blobs, (SELECT count(*) FROM links)::int AS links');
    t.same(rows[0], { blobs: 2, links: 3 }, 'the records are in the database');
    t.notOk(existsSync(join(c.tracker.dataDir, 'meta')), 'and no LevelDB under the tracker data folder');
    const stats = await c.stats();
    t.equal(stats.links, 3);
    t.equal(stats.blobs, 2);

    await waitFor('both blobs on both nodes', async () => (await c.blobs()).every((x) => x.nodes.length === 2), 20_000, 200);
    t.pass('replication reads and writes holders in PostgreSQL');
  });

  await t.test('a tracker killed mid-burst and restarted on the database keeps every acknowledged link', async (t) => {
    const files = await Promise.all(Array.from({ length: 6 }, (_, i) => makeRandomFile(join(work.dir, `k${i}.bin`), 60_000 + i * 1000)));
    const burst = Promise.all(files.map((f, i) => curlUpload<UploadResult>(`${c.trackerUrl}/upload/k${i}.bin`, f.path)));
    await waitFor('a first upload acknowledged', async () => (await c.stats()).links > 3, 20_000, 20);
    await c.tracker.proc.kill('SIGKILL');
    await c.restartTracker();
    const answers = await burst;
    await c.waitUp();
    const acked = answers.filter((a) => a.status === 201 && a.json).map((a) => a.json!);
    t.ok(acked.length >= 1, `${acked.length} of ${files.length} acknowledged around the kill`);
    for (const u of acked) t.ok(await downloads(u), `acknowledged ${u.id} survives the kill`);
    for (const [i, a] of answers.entries()) {
      if (a.status === 201) continue;
      t.ok(await downloads(await upload(files[i]!, `k${i}.bin`)), `upload ${i}, refused around the kill, succeeds when retried`);
    }
    const late = await upload(await makeRandomFile(join(work.dir, 'late.bin'), 20_000), 'late.bin');
    t.ok(await downloads(late), 'the restarted tracker takes new uploads');
  });
}
