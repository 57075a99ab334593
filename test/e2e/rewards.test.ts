// Reward points end to end (docs/rewards.md): one tracker, two nodes in two
// zones holding every file, the test as the tracker's trusted proxy so that
// X-Forwarded-For gives each download its address (and country, from the
// GeoIP data). A complete download earns its uploader one point; the same
// address again that day none (anonymous or signed in); 99 % none (the last 1 % then makes it whole);
// halves from two nodes one; the uploader's own download, one from their
// address and one from an ineligible country none (followed, as every
// download is, but judged unable to earn when signed); the daily cap holds;
// concurrent redemptions extend premium once.
import t from 'tap';
import { join } from 'node:path';
import type { TokenCreated } from '../../common/protocol/accounts.js';
import type { PointsInfo, PointsRedeemed } from '../../common/protocol/rewards.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { UploadResult } from '../../common/protocol/types.js';
import { BIN, useCluster } from '../helpers/cluster.js';
import { makeRandomFile, tempDir } from '../helpers/files.js';
import { curl, curlJson, errorCode, http, metricsAuth } from '../helpers/http.js';
import { describeRun, run, waitFor } from '../helpers/proc.js';

const SIZE = 160 * 1024;
const CAP = 3;
const c = await useCluster(t, {
  nodes: [{ zone: 'a' }, { zone: 'b' }],
  replicas: 2,
  chunkSize: 64 * 1024,
  trackerArgs: [
    ...['--trusted-proxies', '127.0.0.1', '--reward-countries', 'GB,US', '--reward-daily-cap', String(CAP), '--reward-points-per-day', '3'],
    // Leases and a rate cap, as anonymous downloads have them: the paced path, ranges of one download sharing its lease.
    ...['--download-one-at-a-time', 'anonymous,free', '--download-rate-anonymous', String(1024 ** 2), '--lease-ttl', '5'],
  ],
});
const base = c.trackerUrl;
const work = await tempDir();
t.teardown(work.cleanup);
const json = { 'content-type': 'application/json' };

async function account(name: string): Promise<string> {
  const reg = await http(`${base}${TRACKER.accountRegister}`, { method: 'POST', headers: json, body: JSON.stringify({ name, password: `${name} password` }) });
  if (reg.status !== 201) throw new Error(`register ${name}: ${reg.status} ${reg.text}`);
  const login = await http(`${base}${TRACKER.login}`, { method: 'POST', headers: json, body: JSON.stringify({ name, password: `${name} password`, token: 'rewards' }) });
  return (JSON.parse(login.text) as TokenCreated).token;
}

const uploader = await account('ula');
const downloader = await account('dora');
// The uploader's requests come from this address (through the proxy): it is theirs from now on.
const UPLOADER_IP = '81.2.69.165';

async function upload(name: string): Promise<{ link: string; id: string }> {
  const path = join(work.dir, name);
  await makeRandomFile(path, SIZE);
  const r = await curlJson<UploadResult>(['-L', '-T', path, '-H', `authorization: Bearer ${uploader}`, '-H', `x-forwarded-for: ${UPLOADER_IP}`, `${base}/upload/${name}`]);
  if (r.status !== 201 || !r.json) throw new Error(`upload ${name}: ${r.status} ${r.text}`);
  return { link: r.json.link, id: r.json.link.split('/').pop()! };
}
const a = await upload('a.bin');
const b = await upload('b.bin');

const points = async (): Promise<PointsInfo> => JSON.parse((await http(`${base}${TRACKER.points}`, { headers: { authorization: `Bearer ${uploader}` } })).text) as PointsInfo;

async function metrics(): Promise<string> {
  return (await http(`${base}/metrics`, { headers: metricsAuth(c.secret) })).text;
}
async function outcome(name: string): Promise<number> {
  const m = new RegExp(`^hoard_reward_downloads_total\\{outcome="${name}"\\} (\\d+)`, 'm').exec(await metrics());
  return m ? Number(m[1]) : 0;
}
/** Heartbeats the tracker has answered (both nodes). */
async function beats(): Promise<number> {
  let n = 0;
  for (const m of (await metrics()).matchAll(/^hoard_http_request_duration_seconds_count\{[^}]*route="\/internal\/nodes\/heartbeat"[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}
/** Until each node has beaten twice more: what they served by now has reached the tracker and been judged. */
async function reported(): Promise<void> {
  const from = await beats();
  await waitFor('two more heartbeats from each node', async () => (await beats()) >= from + 4, 15_000, 100);
}

/** The signed node URL /f/ID redirects a caller at `ip` to. */
async function signed(link: string, ip: string, extra: Record<string, string> = {}, query = ''): Promise<{ url: URL; node: string }> {
  // The one-download-at-a-time lease of this address may still be held by its last download: wait for it to end.
  return waitFor(`a download URL for ${ip}`, async () => {
    const r = await http(`${link}${query}`, { headers: { 'x-forwarded-for': ip, ...extra } });
    if (r.status === 429) return undefined;
    if (r.status !== 302) throw new Error(`GET ${link}: ${r.status} ${r.text}`);
    return { url: new URL(r.headers.location!), node: r.headers['x-hoard-node']! };
  }, 15_000, 200);
}

async function fetchRange(url: URL, range?: string): Promise<number> {
  const out = join(work.dir, 'out.bin');
  const r = await curl(['-s', '-o', out, '-w', '%{http_code} %{size_download}', ...(range ? ['-r', range] : []), url.toString()]);
  const [code, size] = r.stdout.trim().split(' ').map(Number) as [number, number];
  if (code !== 200 && code !== 206) throw new Error(`download: ${describeRun(r)}`);
  return size;
}

await t.test('a complete download from an eligible address earns one point; the same address again that day none', async (t) => {
  const first = await signed(a.link, '81.2.69.160');
  t.match(first.url.searchParams.get('dl'), /^[A-Za-z0-9_-]{22}$/, 'the URL carries a download id');
  t.equal(await fetchRange(first.url), SIZE);
  const p = await waitFor('one point', async () => ((await points()).earned === 1 ? points() : undefined), 15_000, 200);
  t.match(p, { balance: 1, earned: 1, spent: 0, on: true });
  t.match(p.points, [{ link: a.id, country: 'GB' }]);

  // Again from the address: the same download that day, counted already.
  const again = await signed(a.link, '81.2.69.160');
  t.equal(again.url.searchParams.get('dl'), first.url.searchParams.get('dl'), 'the same download id');
  t.equal(await fetchRange(again.url), SIZE);
  // Again from the address, signed in this time: another download, the same file, address and day.
  const signedIn = await signed(a.link, '81.2.69.160', { authorization: `Bearer ${downloader}` });
  t.not(signedIn.url.searchParams.get('dl'), first.url.searchParams.get('dl'), 'another download id');
  t.equal(await fetchRange(signedIn.url), SIZE);
  await waitFor('the signed-in download judged a duplicate', async () => (await outcome('duplicate')) === 1, 15_000, 200);
  await reported();
  t.equal((await points()).earned, 1, 'still one point');
});

await t.test('99 % earns nothing; the last 1 % makes it complete', async (t) => {
  const ip = '81.2.69.161';
  const cut = Math.floor(SIZE * 0.99);
  const u = await signed(b.link, ip);
  t.equal(await fetchRange(u.url, `0-${cut - 1}`), cut);
  await reported();
  t.equal((await points()).earned, 1, '99 %: no point');
  // The same download (its lease) resumed: the rest of the file.
  const rest = await signed(b.link, ip);
  t.equal(rest.url.searchParams.get('dl'), u.url.searchParams.get('dl'), 'the resume is the same download');
  t.equal(await fetchRange(rest.url, `${cut}-`), SIZE - cut);
  await waitFor('the point once whole', async () => (await points()).earned === 2, 15_000, 200);
});

await t.test('a download in ranges over two nodes earns one point', async (t) => {
  const ip = '8.8.8.8';
  const one = await signed(a.link, ip);
  const two = await signed(a.link, ip, {}, `?avoid=${encodeURIComponent(one.node)}`);
  t.not(two.node, one.node, 'the halves come from two nodes');
  t.equal(two.url.searchParams.get('dl'), one.url.searchParams.get('dl'), 'one download id');
  const half = SIZE / 2;
  t.equal(await fetchRange(one.url, `0-${half - 1}`), half);
  t.equal(await fetchRange(two.url, `${half}-`), half);
  const p = await waitFor('a third point', async () => ((await points()).earned === 3 ? points() : undefined), 15_000, 200);
  t.match(p.points.find((x) => x.country === 'US'), { link: a.id }, 'the point names the link and the country');
});

await t.test('the uploader\'s own download, one from their address, one from an ineligible country: no point', async (t) => {
  const own = await signed(a.link, '81.2.69.162', { authorization: `Bearer ${uploader}` });
  t.match(own.url.searchParams.get('dl'), /^[A-Za-z0-9_-]{22}$/, 'followed like any download (its link counts it)');
  t.equal(await outcome('own-account'), 1, 'the uploader signed in');
  await signed(b.link, UPLOADER_IP);
  t.equal(await outcome('own-address'), 1, 'anonymous, from the uploader\'s address');
  const abroad = await signed(a.link, '200.160.0.1');
  t.equal(await outcome('country'), 1, 'from an ineligible country');
  // Downloaded all the same: still nothing.
  await fetchRange(own.url);
  await fetchRange(abroad.url);
  await reported();
  t.equal((await points()).earned, 3);
});

await t.test('the daily cap holds', async (t) => {
  t.equal((await points()).earned, CAP, 'the uploader is at the cap');
  // A signed-in downloader who is not the uploader, from a new address: eligible, but over the cap.
  const u = await signed(b.link, '81.2.69.163', { authorization: `Bearer ${downloader}` });
  t.ok(u.url.searchParams.get('dl'), 'eligible');
  t.equal(await fetchRange(u.url), SIZE);
  await waitFor('the download judged over the cap', async () => (await outcome('capped')) === 1, 15_000, 200);
  t.equal((await points()).earned, CAP, 'no point past the cap');
});

await t.test('the account page shows the points and offers to redeem them', async (t) => {
  const page = await http(`${base}/account`, { headers: { authorization: `Bearer ${uploader}`, accept: 'text/html' } });
  t.equal(page.status, 200);
  t.match(page.text, /<h2 id="points-title">Reward points<\/h2>/);
  t.match(page.text, /You have <strong>3<\/strong> points \(3 earned, 0 spent\); a premium day costs 3/);
  t.match(page.text, /action="\/account\/points\/redeem"/, 'enough for a day: the form is there');
  t.match(page.text, new RegExp(`href="/f/${a.id}"`), 'a point names its file');
});

await t.test('concurrent redemptions: premium extended exactly once', async (t) => {
  const asks = await Promise.all(
    Array.from({ length: 5 }, () =>
      http(`${base}${TRACKER.pointsRedeem}`, { method: 'POST', headers: { ...json, authorization: `Bearer ${uploader}` }, body: JSON.stringify({ days: 1 }) }),
    ),
  );
  const ok = asks.filter((r) => r.status === 200);
  t.equal(ok.length, 1, 'one redemption');
  t.ok(asks.filter((r) => r.status !== 200).every((r) => r.status === 409 && errorCode(r.text) === 'POINTS_INSUFFICIENT'), 'the others: 409 POINTS_INSUFFICIENT');
  const r = JSON.parse(ok[0]!.text) as PointsRedeemed;
  t.match(r, { days: 1, points: 3, balance: 0 });
  const left = Date.parse(r.premiumUntil) - Date.now();
  t.ok(left > 86_400_000 - 120_000 && left <= 86_400_000, 'one day of premium, once');
  const me = JSON.parse((await http(`${base}${TRACKER.account}`, { headers: { authorization: `Bearer ${uploader}` } })).text) as { tier: string; premiumUntil: string };
  t.match(me, { tier: 'premium', premiumUntil: r.premiumUntil });
  const p = await points();
  t.match(p, { balance: 0, earned: 3, spent: 3 });
  t.equal(p.redemptions.length, 1);

  // The same from the command line.
  const hoard = (args: string[]) => run(process.execPath, [BIN.client, ...args], { env: { ...process.env, HOARD_TRACKER: base, HOARD_TOKEN: uploader, HOARD_LOG_LEVEL: 'warn', HOARD_STATE_DIR: join(work.dir, 'state') }, timeoutMs: 30_000 });
  const shown = await hoard(['points']);
  t.equal(shown.code, 0, describeRun(shown));
  t.match(shown.stdout, /^0 points \(3 earned, 3 spent\); a premium day costs 3/);
  const more = await hoard(['redeem', '--days', '1']);
  t.equal(more.code, 1, 'short of points');
  t.match(more.stderr, /POINTS_INSUFFICIENT|Not enough reward points|cost 3 points/);
  // And from the account page's form: the refusal in words, with its status.
  const form = await http(`${base}/account/points/redeem`, {
    method: 'POST',
    headers: { authorization: `Bearer ${uploader}`, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: 'days=1',
  });
  t.equal(form.status, 409);
  t.match(form.text, /1 premium day\(s\) cost 3 points; the account has 0/);

  // The operator's audit: the balance recomputed from the ledger's records.
  const audit = await c.adminRun(['users', 'show', 'ula']);
  t.equal(audit.code, 0, describeRun(audit));
  t.match(audit.stdout, /reward points:\s+0 \(3 earned, 3 spent; the ledger agrees\)/);
});
