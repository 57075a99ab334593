// Two trackers on one PostgreSQL, three nodes, nginx in front: uploads of
// one new file through both trackers at once end as one blob with a link
// each; then tracker A is killed (SIGKILL) while uploads and downloads run,
// and B carries on: every acknowledged link is still there with its bytes,
// no download through nginx fails, and an upload cut by the kill succeeds
// when the client tries again.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { callJson } from '../../common/client.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { LinkInfo, NodeStatus, UploadResult } from '../../common/protocol/types.js';
import { useCluster, type BlobRecord } from '../helpers/cluster.js';
import { makeRandomFile, sha256, tempDir, type TestFile } from '../helpers/files.js';
import { curl, curlUpload } from '../helpers/http.js';
import { nginxInFront } from '../helpers/nginx-front.js';
import { testPostgres } from '../helpers/postgres.js';
import { describeRun, waitFor } from '../helpers/proc.js';

const pg = await testPostgres(t);
if ('skip' in pg) {
  t.pass(pg.skip, { skip: pg.skip });
} else {
  const c = await useCluster(t, {
    nodes: [{ zone: 'a' }, { zone: 'b' }, { zone: 'c' }],
    chunkSize: 65536,
    replicas: 2,
    moreTrackers: 1,
    trackerArgs: ['--meta', await pg.database()],
  });
  const [A, B] = c.trackers as [(typeof c.trackers)[0], (typeof c.trackers)[0]];
  const work = await tempDir();
  t.teardown(work.cleanup);
  const signed = { secret: c.secret, timeoutMs: 10_000 };
  await waitFor('three nodes up at B', async () => (await callJson<NodeStatus[]>(B.url, 'GET', TRACKER.adminNodes, signed)).filter((n) => n.state === 'up').length === 3, 20_000, 150);

  // Where clients go once A is gone: nginx when it is installed, else B itself.
  const nginx = await nginxInFront(t, [A.url, B.url]);
  const front = nginx ?? B.url;

  let seq = 0;
  const fresh = (size: number) => makeRandomFile(join(work.dir, `f${++seq}.bin`), size);
  const put = (base: string, f: TestFile, name: string) => curlUpload<UploadResult>(`${base}/upload/${name}`, f.path);
  const downloads = async (base: string, id: string, want: string): Promise<boolean> => {
    const out = join(work.dir, `dl-${++seq}`);
    const r = await curl(['-s', '-L', '-f', '-o', out, `${base}/f/${id}`]);
    return r.code === 0 && sha256(await readFile(out)) === want;
  };

  await t.test('uploads of one new file through both trackers at once: one blob, a link each', async (t) => {
    const f = await fresh(150_000);
    const answers = await Promise.all([A.url, B.url, A.url, B.url, front, front].map((base, i) => put(base, f, `same-${i}.bin`)));
    for (const a of answers) t.equal(a.status, 201, describeRun(a.run));
    const ids = answers.map((a) => a.json?.id);
    t.equal(new Set(ids).size, answers.length, 'a link per upload');
    const blobs = (await callJson<BlobRecord[]>(B.url, 'GET', `${TRACKER.adminBlobs}?limit=1000`, signed)).filter((b) => b.sha256 === answers[0]!.json?.sha256);
    t.equal(blobs.length, 1, 'one blob');
    t.equal(blobs[0]?.refs, answers.length, 'its links all counted');
    const links = await callJson<LinkInfo[]>(A.url, 'GET', `${TRACKER.adminLinks}?limit=1000`, signed);
    t.same(links.filter((l) => ids.includes(l.id)).map((l) => l.sha256), ids.map(() => answers[0]!.json?.sha256), 'every link reaches it');
  });

  await t.test('tracker A killed under load: B carries on, nothing acknowledged is lost', async (t) => {
    const UPLOADS = 24;
    const files = await Promise.all(Array.from({ length: UPLOADS }, (_, i) => fresh(60_000 + i * 997)));
    const acked: UploadResult[] = [];
    let retried = 0;
    let killed = false;
    const downloadFailures: string[] = [];
    let downloadsDone = 0;

    // Clients spread over both trackers; one whose upload fails tries again through the front.
    const uploadOne = async (i: number) => {
      let base = i % 2 ? A.url : B.url;
      for (let attempt = 1; ; attempt++) {
        const r = await put(base, files[i]!, `load-${i}.bin`);
        if (r.status === 201 && r.json) {
          acked.push(r.json);
          return;
        }
        if (!killed || attempt >= 5) throw new Error(`upload ${i} through ${base} (attempt ${attempt}): ${r.status} ${describeRun(r.run)}`);
        retried++;
        base = front;
      }
    };
    let next = 0;
    const uploaders = Array.from({ length: 3 }, async () => {
      while (next < UPLOADS) await uploadOne(next++);
    });
    const reader = (async () => {
      while (next < UPLOADS || downloadsDone === 0) {
        const u = acked[Math.floor(Math.random() * acked.length)];
        if (!u) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        if (!(await downloads(front, u.id, u.sha256))) downloadFailures.push(u.id);
        downloadsDone++;
      }
    })();
    await waitFor('a third of the uploads acknowledged', () => acked.length >= UPLOADS / 3, 60_000, 20);
    // Set first: an upload that A's death cuts may be answered before kill() returns.
    killed = true;
    await A.kill('SIGKILL');
    await Promise.all([...uploaders, reader]);

    t.equal(acked.length, UPLOADS, `every upload acknowledged (${retried} tried again after the kill)`);
    t.same(downloadFailures, [], `no download through ${nginx ? 'nginx' : 'B'} failed (${downloadsDone} made)`);
    const linkIds = new Set((await callJson<LinkInfo[]>(B.url, 'GET', `${TRACKER.adminLinks}?limit=1000`, signed)).map((l) => l.id));
    t.same(acked.filter((u) => !linkIds.has(u.id)).map((u) => u.id), [], 'B lists every acknowledged link');
    const lost: string[] = [];
    for (const u of acked) if (!(await downloads(B.url, u.id, u.sha256))) lost.push(u.id);
    t.same(lost, [], 'and every one downloads with its bytes through B');
    // An upload addressed to the dead tracker fails at once, and succeeds when tried again through the front.
    const late = await fresh(40_000);
    const cut = await put(A.url, late, 'late.bin');
    t.not(cut.status, 201, 'A is gone');
    const again = await put(front, late, 'late.bin');
    t.equal(again.status, 201, `the retry succeeds: ${describeRun(again.run)}`);
    if (again.json) t.ok(await downloads(front, again.json.id, again.json.sha256), 'and downloads');
  });
}
