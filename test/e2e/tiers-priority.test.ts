// The happy hour and the uplink's priority end to end (docs/tiers.md). The
// tracker and the node run on a test clock inside the happy hour, which
// here lifts anonymous callers too (until accounts exist every caller is
// anonymous): two files at once are allowed, uncapped. The node has an
// uplink budget; a premium and a free download saturating it (URLs signed
// here with the cluster secret, as the tracker signs them for such callers)
// share it by weight, premium first, the free one not starved.
import t from 'tap';
import { join } from 'node:path';
import type { StatusAnswer, UploadResult } from '../../common/protocol/types.js';
import type { Tier } from '../../common/protocol/tiers.js';
import { NODE } from '../../common/protocol/routes.js';
import { signUrl } from '../../common/sign.js';
import { fairShares } from '../../node/egress/fair-share.js';
import { useCluster } from '../helpers/cluster.js';
import { makeRandomFile, tempDir } from '../helpers/files.js';
import { curl, curlUpload, http, parseJson } from '../helpers/http.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const RATE = 256 * KiB;
const UPLINK = 2 * MiB;
const CLOCK = '2026-12-03T12:30:00Z';
const c = await useCluster(t, {
  nodes: [{ zone: 'a' }],
  chunkSize: 256 * KiB,
  trackerArgs: ['--download-rate-anonymous', String(RATE), '--download-one-at-a-time', 'anonymous,free', '--happy-hour-tiers', 'anonymous,free', '--test-clock', CLOCK],
  nodeArgs: ['--test-clock', CLOCK, '--uplink-rate', String(UPLINK)],
});
const node = c.nodes[0]!;
const work = await tempDir();
t.teardown(work.cleanup);

async function upload(name: string, size: number): Promise<UploadResult> {
  const path = join(work.dir, name);
  await makeRandomFile(path, size);
  const r = await curlUpload<UploadResult>(c.signUpload(node, name), path);
  if (r.status !== 201 || !r.json) throw new Error(`upload of ${name}: ${r.status} ${r.text}`);
  return r.json;
}

const small = await upload('small.bin', 1 * MiB);
const other = await upload('other.bin', 64 * KiB);
const big = await upload('big.bin', 4 * MiB);

async function timed(url: string): Promise<{ code: number; size: number; secs: number; stderr: string }> {
  const r = await curl(['-L', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', url]);
  const [code, size, secs] = r.stdout.trim().split(' ').map(Number) as [number, number, number];
  return { code, size, secs, stderr: r.stderr };
}

t.test('happy hour: /api/status says so, no lease, no cap, two files at once', async (t) => {
  const s = parseJson<StatusAnswer>((await http(c.trackerUrl + '/api/status')).text)!;
  t.equal(s.happyHour.on, true);
  t.equal(s.happyHour.until, '2026-12-03T14:00:00.000Z');
  t.same(s.caller.limits, { rate: 0, concurrent: 0 }, 'the caller\'s limits are lifted');
  const first = await http(small.link);
  const second = await http(other.link);
  t.equal(first.status, 302);
  t.equal(second.status, 302, 'another file at the same time: allowed');
  const u = new URL(first.headers.location!);
  t.equal(u.searchParams.get('lease'), null, 'no lease taken');
  t.equal(u.searchParams.get('rate'), String(RATE), 'the rate outside the window is signed');
  t.match(u.searchParams.get('hh'), /^\d+-\d+$/, 'with the window the node judges by its own clock');
  const d = await timed(first.headers.location!);
  t.equal(d.code, 200, d.stderr);
  t.ok(d.size / d.secs > RATE * 2, `${(d.size / d.secs / KiB).toFixed(0)} KiB/s, far above the ${RATE / KiB} KiB/s cap`);
});

t.test('a saturated uplink: premium gets at least its weighted share, free is not starved', async (t) => {
  const exp = Math.floor(Date.now() / 1000) + 60;
  const url = (tier: Tier): string =>
    signUrl(c.secret, node.directUrl + NODE.blob + big.sha256, { verb: 'GET', resource: big.sha256, exp, extra: 'big.bin', policy: { tier, rate: 0, lease: '', happy: undefined } });
  const started = Date.now();
  const [premium, free] = await Promise.all([timed(url('premium')), timed(url('free'))]);
  const wall = (Date.now() - started) / 1000;
  t.equal(premium.code, 200, premium.stderr);
  t.equal(free.code, 200, free.stderr);
  // Weights 8 and 2 over a 10 % floor: premium's share while both run.
  const [share] = fairShares(1, [{ weight: 8, demand: 1 }, { weight: 2, demand: 1 }], 0.1);
  const premiumRate = big.size / premium.secs;
  t.ok(premiumRate >= share! * UPLINK * 0.75, `premium ${(premiumRate / KiB).toFixed(0)} KiB/s ≥ 75 % of its share ${((share! * UPLINK) / KiB).toFixed(0)} KiB/s`);
  t.ok(premium.secs < free.secs, `premium ends first (${premium.secs.toFixed(2)} s, free ${free.secs.toFixed(2)} s)`);
  // Starved, it would need the whole file's time at the full budget after premium ended.
  t.ok(free.secs < premium.secs + (big.size / UPLINK) * 0.95, 'free was not starved: it had sent part of its file meanwhile');
  t.ok((2 * big.size) / wall <= UPLINK * 1.25, `the budget holds: ${((2 * big.size) / wall / KiB).toFixed(0)} KiB/s for ${UPLINK / KiB} KiB/s`);
});
