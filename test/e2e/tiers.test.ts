// The download policy end to end (docs/tiers.md): an anonymous download runs
// at its tier's rate; a second file meanwhile is refused with 429, on the same
// node or another, until the first ends; ranges of the same file over several
// connections share the one lease and the one cap; a premium URL runs
// unthrottled; a tampered claim is refused; GET /api/status and the per-tier
// metrics tell the same. Until accounts exist every caller of the tracker is
// anonymous, so the premium download uses a URL signed here with the
// cluster secret, as the tracker signs one for a premium caller.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { StatusAnswer, UploadResult } from '../../common/protocol/types.js';
import { NODE } from '../../common/protocol/routes.js';
import { signUrl } from '../../common/sign.js';
import { useCluster, type ClusterNode } from '../helpers/cluster.js';
import { makeRandomFile, sha256File, tempDir } from '../helpers/files.js';
import { curl, curlUpload, errorCode, http, metricsAuth, parseJson, resolveLink } from '../helpers/http.js';
import { waitFor } from '../helpers/proc.js';

const KiB = 1024;
const RATE = 256 * KiB; // --download-rate-anonymous
const SIZE = 640 * KiB; // 2.5 s at RATE
const c = await useCluster(t, {
  nodes: [{ zone: 'a' }, { zone: 'b' }],
  chunkSize: 64 * KiB,
  // The test clock at 10:00 UTC: outside the happy hour (12:00-14:00) for the whole test.
  // A short lease timeout: a redirect the test takes without downloading holds its lease that long.
  trackerArgs: ['--download-rate-anonymous', String(RATE), '--download-one-at-a-time', 'anonymous,free', '--lease-ttl', '5', '--happy-hour', '12:00-14:00', '--test-clock', '2026-12-03T10:00:00Z'],
  nodeArgs: ['--test-clock', '2026-12-03T10:00:00Z'],
});
const [n0, n1] = c.nodes as [ClusterNode, ClusterNode];
const work = await tempDir();
t.teardown(work.cleanup);

/** A file uploaded straight to `node` (placement would pick either). */
async function upload(node: ClusterNode, name: string, size: number): Promise<{ link: string; sha256: string; path: string }> {
  const path = join(work.dir, name);
  await makeRandomFile(path, size);
  const r = await curlUpload<UploadResult>(c.signUpload(node, name), path);
  if (r.status !== 201 || !r.json) throw new Error(`upload of ${name}: ${r.status} ${r.text}`);
  return { link: r.json.link, sha256: r.json.sha256, path };
}

// a and c on one node, b on the other.
const a = await upload(n0, 'a.bin', SIZE);
const b = await upload(n1, 'b.bin', 64 * KiB);
const sameNode = await upload(n0, 'c.bin', 64 * KiB);

/** curl -L of a link: status, bytes and seconds. */
async function download(url: string, out: string, extra: string[] = []): Promise<{ code: number; size: number; secs: number; stderr: string }> {
  const r = await curl(['-L', '-o', out, '-w', '%{http_code} %{size_download} %{time_total}', ...extra, url]);
  const [code, size, secs] = r.stdout.trim().split(' ').map(Number) as [number, number, number];
  return { code, size, secs, stderr: r.stderr };
}

t.test('an anonymous download runs at its rate; another file meanwhile gets 429 on either node, until it ends', async (t) => {
  // The lease is the caller's once the tracker redirected it; the transfer itself is timed at the node.
  const first = download(await resolveLink(a.link), join(work.dir, 'a.out'));
  const busy = await http(b.link);
  t.equal(busy.status, 429, 'a file on the other node: refused');
  t.equal(errorCode(busy.text), 'DOWNLOAD_BUSY');
  t.match(busy.text, /already downloading \\"a\.bin\\"/, 'the message names the file still downloading');
  t.ok(Number(busy.headers['retry-after']) >= 1 && Number(busy.headers['retry-after']) <= 5, `Retry-After ${busy.headers['retry-after']}`);
  t.equal((await http(sameNode.link)).status, 429, 'a file on the same node: refused too');
  // The link page's download button (?download=1) in a browser.
  const page = await http(b.link + '?download=1', { headers: { accept: 'text/html' } });
  t.equal(page.status, 429, 'the link page says it in words, with the same status');
  t.match(page.text, 'One download at a time');
  const again = await http(a.link);
  t.equal(again.status, 302, 'the same file again: allowed');
  const lease = new URL(again.headers.location!).searchParams.get('lease');
  t.match(lease, /^[A-Za-z0-9_-]{22}$/, 'with its lease in the URL');

  const done = await first;
  t.equal(done.code, 200, done.stderr);
  t.equal(done.size, SIZE);
  t.equal(await sha256File(join(work.dir, 'a.out')), await sha256File(a.path));
  const rate = SIZE / done.secs;
  t.ok(rate > RATE * 0.8 && rate < RATE * 1.2, `rate ${(rate / KiB).toFixed(0)} KiB/s within ±20 % of ${RATE / KiB} KiB/s (${done.secs.toFixed(2)} s)`);
  // The node reports the end with its next heartbeat; then the other file may start.
  const next = await waitFor('the lease released after the transfer ended', async () => {
    const r = await http(b.link);
    return r.status === 302 ? r.headers.location : undefined;
  }, 15_000, 200);
  // Downloaded at once, so its lease ends with it.
  t.equal((await download(next, join(work.dir, 'b.out'))).code, 200);
});

t.test('ranges of one file over several connections share the lease and the cap', async (t) => {
  await waitFor('no lease held', async () => ((await http(a.link)).status === 302 ? true : undefined), 15_000, 200);
  const third = Math.ceil(SIZE / 3);
  const started = Date.now();
  const parts = await Promise.all(
    [0, 1, 2].map((i) => download(a.link, join(work.dir, `a.part${i}`), ['-r', `${i * third}-${Math.min((i + 1) * third, SIZE) - 1}`])),
  );
  const secs = (Date.now() - started) / 1000;
  for (const p of parts) t.equal(p.code, 206, `a range: 206 ${p.stderr}`);
  t.equal(parts.reduce((s, p) => s + p.size, 0), SIZE, 'every byte once');
  // Three connections at the cap each would take a third of the time.
  t.ok(secs > (SIZE / RATE) * 0.8, `the cap applies to their sum: ${secs.toFixed(2)} s for ${SIZE / KiB} KiB at ${RATE / KiB} KiB/s`);
});

t.test('aria2c -x4 over one lease: allowed, whole', async (t) => {
  await waitFor('no lease held', async () => ((await http(b.link)).status === 302 ? true : undefined), 15_000, 200);
  const r = spawnSync('aria2c', ['-q', '-x4', '-s4', '-k1M', '--allow-overwrite=true', '-d', work.dir, '-o', 'b.aria', b.link], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0, `aria2c: ${r.stdout}${r.stderr}`);
  t.equal(await sha256File(join(work.dir, 'b.aria')), await sha256File(b.path));
});

t.test('a premium URL runs unthrottled', async (t) => {
  const exp = Math.floor(Date.now() / 1000) + 60;
  const url = signUrl(c.secret, n0.directUrl + NODE.blob + a.sha256, { verb: 'GET', resource: a.sha256, exp, extra: 'a.bin', policy: { tier: 'premium', rate: 0, lease: '', happy: undefined } });
  const d = await download(url, join(work.dir, 'a.premium'));
  t.equal(d.code, 200, d.stderr);
  t.ok(SIZE / d.secs > RATE * 4, `premium ${(SIZE / d.secs / KiB).toFixed(0)} KiB/s, far above the anonymous cap`);
});

t.test('a premium account through the link: premium claims, no lease, unthrottled, alongside an anonymous download', async (t) => {
  const post = (path: string, body: unknown) => http(c.trackerUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  t.equal((await post('/api/account/register', { name: 'pat', password: 'correct horse' })).status, 201);
  await c.api('PATCH', '/internal/admin/users/pat', { tier: 'premium', days: 1 });
  const token = parseJson<{ token: string }>((await post('/api/account/login', { name: 'pat', password: 'correct horse', token: 'dl' })).text)!.token;
  const auth = { authorization: `Bearer ${token}` };
  await waitFor('no anonymous lease held', async () => ((await http(sameNode.link)).status === 302 ? true : undefined), 15_000, 200);
  // An anonymous download holds its lease; the premium account is another caller, without one.
  const anon = download(await resolveLink(sameNode.link), join(work.dir, 'c.anon'));
  const r = await http(a.link, { headers: auth });
  t.equal(r.status, 302, r.text);
  const u = new URL(r.headers.location!);
  t.equal(u.searchParams.get('tier'), 'premium');
  t.equal(u.searchParams.get('rate'), '0');
  t.equal(u.searchParams.get('lease'), null, 'premium takes no lease');
  t.equal((await http(b.link, { headers: auth })).status, 302, 'a second file at once: allowed');
  const d = await download(u.toString(), join(work.dir, 'a.pat'));
  t.equal(d.code, 200, d.stderr);
  t.ok(SIZE / d.secs > RATE * 4, `premium ${(SIZE / d.secs / KiB).toFixed(0)} KiB/s`);
  const s = parseJson<StatusAnswer>((await http(c.trackerUrl + '/api/status', { headers: auth })).text)!;
  t.same(s.caller, { tier: 'premium', limits: { rate: 0, concurrent: 0 } }, '/api/status knows the caller');
  t.equal((await anon).code, 200);
});

t.test('a tampered claim gets 403 TOKEN_INVALID', async (t) => {
  await waitFor('no lease held', async () => ((await http(sameNode.link)).status === 302 ? true : undefined), 15_000, 200);
  const signed = new URL((await http(sameNode.link)).headers.location!);
  t.equal(signed.searchParams.get('tier'), 'anonymous');
  t.equal(signed.searchParams.get('rate'), String(RATE));
  for (const [what, edit] of [
    ['tier raised', (u: URL) => u.searchParams.set('tier', 'premium')],
    ['rate lifted', (u: URL) => u.searchParams.set('rate', '0')],
    ['lease dropped', (u: URL) => u.searchParams.delete('lease')],
    ['every claim dropped', (u: URL) => ['tier', 'rate', 'lease', 'hh'].forEach((k) => u.searchParams.delete(k))],
    ['a happy window added', (u: URL) => u.searchParams.set('hh', '0-99999999999')],
  ] as const) {
    const u = new URL(signed);
    edit(u);
    const r = await http(u.toString());
    t.equal(r.status, 403, what);
    t.equal(errorCode(r.text), 'TOKEN_INVALID', what);
  }
  t.equal((await http(signed.toString())).status, 200, 'the URL as signed works');
});

t.test('GET /api/status: the happy hour and the caller\'s limits', async (t) => {
  const r = await http(c.trackerUrl + '/api/status');
  t.equal(r.status, 200);
  const s = parseJson<StatusAnswer>(r.text)!;
  t.equal(s.happyHour.on, false);
  t.equal(s.happyHour.next, '2026-12-03T12:00:00.000Z');
  t.same(s.happyHour.tiers, ['free']);
  t.same(s.caller, { tier: 'anonymous', limits: { rate: RATE, concurrent: 1 } });
});

t.test('per-tier metrics on the node', async (t) => {
  const m = await http(n0.directUrl + '/metrics', { headers: metricsAuth(c.secret) });
  t.equal(m.status, 200);
  for (const tier of ['anonymous', 'free', 'premium', 'admin']) {
    t.match(m.text, new RegExp(`hoard_download_bytes_total\\{tier="${tier}"\\} \\d+`), `bytes of ${tier}`);
    t.match(m.text, new RegExp(`hoard_downloads_active\\{tier="${tier}"\\} \\d+`), `active downloads of ${tier}`);
  }
  const bytes = (tier: string): number => Number(new RegExp(`hoard_download_bytes_total\\{tier="${tier}"\\} (\\d+)`).exec(m.text)?.[1]);
  t.ok(bytes('anonymous') >= 2 * SIZE, `anonymous bytes counted: ${bytes('anonymous')}`);
  t.ok(bytes('premium') >= SIZE, 'premium bytes counted');
  t.equal(bytes('free'), 0, 'free: present at 0');
  if (!spawnSync('promtool', ['--version']).error) {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: m.text, encoding: 'utf8' });
    t.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  }
});
