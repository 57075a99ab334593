// Real download clients against a real cluster: curl and wget resuming a
// half-written file, aria2c fetching over eight connections, and hoard get
// resuming after a network cut in the middle of the body.
import t from 'tap';
import { copyFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { UploadResult } from '../../common/protocol/types.js';
import { useCluster, type ClusterNode } from '../helpers/cluster.js';
import { fileSize, makeRandomFile, sha256File, tempDir } from '../helpers/files.js';
import { curl, curlJson, curlUpload } from '../helpers/http.js';
import { describeRun, run, waitFor } from '../helpers/proc.js';
import { startCutProxy } from '../helpers/proxy.js';

const MiB = 1 << 20;
const work = await tempDir();
t.teardown(work.cleanup);
const big = await makeRandomFile(join(work.dir, 'big.bin'), 20 * MiB + 4321);
const half = Math.floor(big.size / 2);

const c = await useCluster(t, { nodes: [{ zone: 'a' }], chunkSize: MiB });
const node = c.nodes[0]!;

/** Requests for /blob/ the node logged after `from` (an index into its log lines). */
function blobRequests(n: ClusterNode, from: number): { status: number; bytes: number }[] {
  const out: { status: number; bytes: number }[] = [];
  for (const line of n.proc.lines.slice(from)) {
    if (!line.includes('"msg":"request"')) continue;
    const r = JSON.parse(line) as { method?: string; path?: string; status?: number; bytes?: number };
    if (r.method === 'GET' && r.path?.startsWith('/blob/')) out.push({ status: r.status ?? 0, bytes: r.bytes ?? 0 });
  }
  return out;
}

/** The node's request log lines reach us through a pipe, possibly after the client exited: wait for `atLeast`. */
async function settledBlobRequests(n: ClusterNode, from: number, atLeast: number): Promise<{ status: number; bytes: number }[]> {
  await waitFor(`${atLeast} /blob/ request log lines`, () => blobRequests(n, from).length >= atLeast, 3_000, 20).catch(() => undefined);
  return blobRequests(n, from);
}

/** A file holding the first `bytes` bytes of the big file, as an interrupted download leaves. */
async function partial(name: string, bytes: number): Promise<string> {
  const p = join(work.dir, name);
  await copyFile(big.path, p);
  await truncate(p, bytes);
  return p;
}

let link = '';

// Awaited: the tests below need its link when they are declared.
await t.test('curl -L -T uploads a 20 MiB file', async (t) => {
  const up = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/big.bin`, big.path);
  t.equal(up.status, 201, `${up.text.slice(0, 300)} ${describeRun(up.run)}`);
  t.match(up.json, { sha256: big.sha256, md5: big.md5, size: big.size, dedup: false });
  link = up.json?.link ?? '';
  t.ok(link, 'got a link');
});

t.test('curl -C - resumes a half-downloaded file', { skip: link ? false : 'the upload failed' }, async (t) => {
  const out = join(work.dir, 'curl.out');
  const start = node.proc.lines.length;
  const first = await curl(['-L', '-r', `0-${half - 1}`, '-o', out, '-w', '%{http_code}', link]);
  t.equal(first.stdout, '206', `first half: ${describeRun(first)}`);
  t.equal(await fileSize(out), half, 'first half on disk');
  // The first request's log line must be in before the mark, or it would count as the resume's.
  await settledBlobRequests(node, start, 1);
  const mark = node.proc.lines.length;
  const rest = await curl(['-L', '-C', '-', '-o', out, '-w', '%{http_code} %{size_download}', link]);
  t.equal(rest.code, 0, describeRun(rest));
  t.equal(rest.stdout, `206 ${big.size - half}`, 'curl fetched only the missing half');
  t.equal(await sha256File(out), big.sha256, 'resumed file identical');
  t.same((await settledBlobRequests(node, mark, 1)).map((r) => r.status), [206], 'the node served one ranged request');
});

t.test('wget -c resumes a half-downloaded file', { skip: link ? false : 'the upload failed' }, async (t) => {
  const out = await partial('wget.out', half);
  const mark = node.proc.lines.length;
  const r = await run('wget', ['-c', '-nv', '-O', out, link], { timeoutMs: 60_000 });
  t.equal(r.code, 0, describeRun(r));
  t.equal(await sha256File(out), big.sha256, 'resumed file identical');
  const reqs = await settledBlobRequests(node, mark, 1);
  t.same(reqs.map((x) => x.status), [206], 'wget followed the redirect and asked for the rest only');
  t.ok((reqs[0]?.bytes ?? Infinity) < big.size - half + 4096, 'about half the file went over the wire');
});

t.test('aria2c downloads over eight connections', { skip: link ? false : 'the upload failed' }, async (t) => {
  const dir = join(work.dir, 'aria');
  const mark = node.proc.lines.length;
  const r = await run(
    'aria2c',
    // On loopback one connection can finish 20 MiB before aria2c opens the others; a speed cap keeps it split.
    ['-x8', '-s8', '-k1M', '--max-download-limit=16M', '--file-allocation=none', '--allow-overwrite=true', '--auto-file-renaming=false',
      '--summary-interval=0', '--console-log-level=warn', '--download-result=hide', '-d', dir, '-o', 'aria.out', link],
    { timeoutMs: 90_000 },
  );
  t.equal(r.code, 0, describeRun(r));
  t.equal(await sha256File(join(dir, 'aria.out')), big.sha256, 'aria2c file identical');
  const ranged206 = () => blobRequests(node, mark).filter((x) => x.status === 206);
  await waitFor('ranged requests in the node log', () => ranged206().length >= 2, 3_000, 20).catch(() => undefined);
  const ranged = ranged206();
  t.ok(ranged.length >= 2, `several ranged requests reached the node (${ranged.length})`);
});

t.test('hoard get resumes a download cut half-way by the network', async (t) => {
  const proxy = await startCutProxy({ cutAfterBytes: half });
  t.teardown(() => proxy.close());
  const pc = await useCluster(t, { nodes: [{ zone: 'p', publicUrl: proxy.url }], chunkSize: MiB, waitUp: false });
  const pnode = pc.nodes[0]!;
  proxy.setTarget(pnode.port);
  await pc.waitUp();

  // Store the file on the proxied node, straight to its own port.
  const up = await curlJson<UploadResult>(['-T', big.path, pc.signUpload(pnode, 'cut.bin')], 60_000);
  t.equal(up.status, 201, up.text.slice(0, 300));
  const plink = up.json?.link;
  if (!plink) return;

  const out = join(work.dir, 'cut.out');
  await rm(out, { force: true });
  const first = await pc.client(['get', plink, '-o', out], 60_000);
  const runs = [first];
  // Either hoard get retries by itself, or it fails and a second run picks up where it stopped.
  if (first.code !== 0) runs.push(await pc.client(['get', plink, '-o', out], 60_000));
  const last = runs[runs.length - 1]!;
  t.equal(last.code, 0, `hoard get finished: ${runs.map(describeRun).join(' // ')}`);
  t.equal(proxy.cuts(), 1, 'the first connection was cut');
  t.ok(proxy.bytesDown[0]! <= half, 'the cut came before the end of the body');
  t.equal(await sha256File(out), big.sha256, 'the resumed file is identical');

  const gets = proxy.requests.filter((r) => r.method === 'GET');
  const resumed = gets.filter((r) => r.connection > 0 && r.range !== undefined);
  t.ok(resumed.length >= 1, `a later connection asked for a range (${JSON.stringify(gets)})`);
  const from = Number(/^bytes=(\d+)-/.exec(resumed[0]?.range ?? '')?.[1] ?? NaN);
  t.ok(from > 0 && from <= half, `resumed from byte ${from}, not from the start`);
});
