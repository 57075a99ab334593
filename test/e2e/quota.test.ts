// Storage quotas end to end (docs/tiers.md): a signed-in upload records its
// uploader at every door (hoard put over tus, its early stop on a duplicate,
// curl PUT), the account's logical bytes move by each link's size (a
// duplicate counts in full, a deleted link gives its bytes back), and an
// upload that would pass the quota is refused: before any byte when its size
// is declared (PUT, tus), at the commit when it is not (a chunked PUT) or when
// two uploads race for the last bytes (tus), with nothing kept on the node.
// A chunked body is cut at the tier's upload limit. One tracker, one node,
// a quota of a few MB.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import type { AccountInfo, TokenCreated } from '../../common/protocol/accounts.js';
import type { BlobManifest, UploadTarget } from '../../common/protocol/types.js';
import { TRACKER } from '../../common/protocol/routes.js';
import { signOwner } from '../../common/sign.js';
import { BIN, useCluster } from '../helpers/cluster.js';
import { blobIdsOnDisk, listDir, makeRandomFile, sha256, tempDir } from '../helpers/files.js';
import { curlJson, errorCode, http } from '../helpers/http.js';
import { describeRun, run, waitFor } from '../helpers/proc.js';

const QUOTA = 4_000_000;
const CAP = 2_000_000; // --upload-limit-free
const SIZE = 1_500_000; // past the first prefix checkpoint (1 MiB): a duplicate ends early
const c = await useCluster(t, {
  nodes: [{ zone: 'a' }],
  trackerArgs: ['--storage-quota-free', String(QUOTA), '--upload-limit-free', String(CAP), '--upload-limit-anonymous', String(CAP)],
});
const base = c.trackerUrl;
const node = c.nodes[0]!;
const work = await tempDir();
t.teardown(work.cleanup);

const json = { 'content-type': 'application/json' };
const reg = await http(`${base}${TRACKER.accountRegister}`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'quinn', password: 'quinn password' }) });
if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.text}`);
const login = await http(`${base}${TRACKER.login}`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'quinn', password: 'quinn password', token: 'quota' }) });
const token = (JSON.parse(login.text) as TokenCreated).token;
const bearer = { authorization: `Bearer ${token}` };

const usage = async (): Promise<number> => (JSON.parse((await http(`${base}${TRACKER.account}`, { headers: bearer })).text) as AccountInfo).usedBytes ?? -1;
const hoard = (args: string[]) =>
  run(process.execPath, [BIN.client, ...args], { env: { ...process.env, HOARD_TRACKER: base, HOARD_TOKEN: token, HOARD_LOG_LEVEL: 'warn', HOARD_STATE_DIR: join(work.dir, 'state') }, timeoutMs: 60_000 });

/** What the node and the tracker hold: a refused upload must leave both as they were. */
async function held(): Promise<{ blobs: string[]; links: number; tmp: string[] }> {
  return { blobs: await blobIdsOnDisk(node.dataDir), links: (await c.links()).length, tmp: await listDir(join(node.dataDir, 'tmp')) };
}
async function nothingKept(t: Test, before: Awaited<ReturnType<typeof held>>, used: number): Promise<void> {
  await waitFor('the node\'s data/tmp to be empty', async () => (await listDir(join(node.dataDir, 'tmp'))).length === 0, 10_000).catch(() => undefined);
  t.same(await held(), before, 'no blob, no link, nothing in data/tmp');
  t.equal(await usage(), used, 'usage unchanged');
}

const a = join(work.dir, 'a.bin');
await makeRandomFile(a, SIZE);

await t.test('the uploader is recorded: hoard put (tus) and its early stop on a duplicate count in full', async (t) => {
  const first = await hoard(['put', '--stats', a]);
  t.equal(first.code, 0, describeRun(first));
  t.equal(await usage(), SIZE, 'usage moved by the file\'s size');
  const dup = await hoard(['put', '--stats', a]);
  t.equal(dup.code, 0, describeRun(dup));
  t.match(dup.stderr, /early stop/, 'the duplicate ended early');
  t.equal(await usage(), 2 * SIZE, 'a duplicate counts in full');
  const shown = await c.adminRun(['users', 'show', 'quinn']);
  t.match(shown.stdout, /storage:\s+2\.86 MiB of 3\.81 MiB \(3000000 of 4000000 bytes, 75%\)/, 'hoard-admin users show: usage against quota');
});

await t.test('over the quota with the size declared: refused at the tracker before any byte (PUT, POST /api/uploads, tus)', async (t) => {
  const b = join(work.dir, 'b.bin');
  await makeRandomFile(b, SIZE);
  const before = await held();
  const put = await curlJson(['-L', '-T', b, '-H', `authorization: Bearer ${token}`, `${base}/upload/b.bin`]);
  t.equal(put.status, 413, put.text);
  t.equal(errorCode(put.text), 'QUOTA_EXCEEDED');
  t.match(put.text, /free accounts may keep 3\.8 MiB \(4000000 bytes\) of files; this one keeps 3000000 bytes, this upload is 1500000 bytes and 1000000 are left/, 'the message names the quota');
  const target = await http(`${base}${TRACKER.uploadTarget}`, { method: 'POST', headers: { ...bearer, ...json }, body: JSON.stringify({ filename: 'b.bin', size: SIZE }) });
  t.equal(errorCode(target.text), 'QUOTA_EXCEEDED', 'POST /api/uploads');
  const tus = await http(`${base}/files`, { method: 'POST', headers: { ...bearer, 'tus-resumable': '1.0.0', 'upload-length': String(SIZE) } });
  t.equal(tus.status, 413, tus.text);
  t.equal(errorCode(tus.text), 'QUOTA_EXCEEDED', 'tus creation');
  await nothingKept(t, before, 2 * SIZE);
  const anon = await curlJson(['-L', '-T', b, `${base}/upload/b.bin`]);
  t.equal(anon.status, 201, 'an anonymous upload belongs to no account: no quota');
  t.equal(await usage(), 2 * SIZE, 'and moves nobody\'s usage');
});

await t.test('over the quota without a declared size: refused by the commit, nothing kept', async (t) => {
  const d = join(work.dir, 'd.bin');
  await makeRandomFile(d, SIZE);
  const before = await held();
  const put = await curlJson(['-L', '-T', d, '-H', 'transfer-encoding: chunked', '-H', `authorization: Bearer ${token}`, `${base}/upload/d.bin`]);
  t.equal(put.status, 413, put.text);
  t.equal(errorCode(put.text), 'QUOTA_EXCEEDED');
  t.match(put.text, /may keep 3\.8 MiB \(4000000 bytes\)/);
  await nothingKept(t, before, 2 * SIZE);
});

await t.test('a chunked body past the tier\'s upload limit is cut there, nothing kept', async (t) => {
  const big = join(work.dir, 'big.bin');
  await makeRandomFile(big, CAP + 100_000);
  const before = await held();
  const put = await curlJson(['-L', '-T', big, '-H', 'transfer-encoding: chunked', '-H', `authorization: Bearer ${token}`, `${base}/upload/big.bin`]);
  t.equal(put.status, 413, put.text);
  t.equal(errorCode(put.text), 'UPLOAD_TOO_LARGE');
  t.match(put.text, /limited to 2000000 bytes/, 'the message names the limit');
  await nothingKept(t, before, 2 * SIZE);
});

await t.test('two tus uploads racing for the last bytes: the second is refused by its commit, nothing kept', async (t) => {
  const part = 600_000;
  const make = async (name: string) => {
    const r = await http(`${base}/files`, { method: 'POST', headers: { ...bearer, 'tus-resumable': '1.0.0', 'upload-length': String(part), 'upload-metadata': `filename ${Buffer.from(name).toString('base64')}` } });
    t.equal(r.status, 201, r.text);
    return r.headers.location!;
  };
  const [u1, u2] = [await make('r1.bin'), await make('r2.bin')];
  const patch = (url: string, body: Buffer) => http(url, { method: 'PATCH', headers: { 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body, timeoutMs: 30_000 });
  const r1 = await patch(u1, Buffer.alloc(part, 1));
  t.equal(r1.status, 204, r1.text);
  t.equal(await usage(), 2 * SIZE + part);
  const before = await held();
  const r2 = await patch(u2, Buffer.alloc(part, 2));
  t.equal(r2.status, 413, r2.text);
  t.equal(errorCode(r2.text), 'QUOTA_EXCEEDED');
  await nothingKept(t, before, 2 * SIZE + part);
  t.equal((await http(u2, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } })).status, 404, 'the refused upload is gone from the node');
});

await t.test('deleting a link gives its bytes back', async (t) => {
  const mine = (await c.links()).filter((l) => l.filename === 'a.bin');
  t.equal(mine.length, 2, 'the two links of the put and its duplicate');
  const used = await usage();
  const del = await c.adminRun(['link-delete', mine[0]!.id]);
  t.equal(del.code, 0, describeRun(del));
  t.equal(await usage(), used - SIZE, 'one link: its size back, although its blob stays for the other');
  t.equal((await c.adminRun(['link-delete', mine[1]!.id])).code, 0);
  t.equal(await usage(), used - 2 * SIZE);
  const d = join(work.dir, 'd.bin');
  const again = await curlJson(['-L', '-T', d, '-H', `authorization: Bearer ${token}`, `${base}/upload/d.bin`]);
  t.equal(again.status, 201, `room again: ${again.text}`);
  t.equal(await usage(), used - 2 * SIZE + SIZE);
});

await t.test('tus concatenation: the final upload is the account\'s, its parts counted once, in the final', async (t) => {
  const used = await usage();
  const tus = { ...bearer, 'tus-resumable': '1.0.0' };
  const part = async (n: number, fill: number): Promise<string> => {
    const r = await http(`${base}/files`, { method: 'POST', headers: { ...tus, 'upload-length': String(n), 'upload-concat': 'partial' } });
    t.equal(r.status, 201, r.text);
    const p = await http(r.headers.location!, { method: 'PATCH', headers: { 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: Buffer.alloc(n, fill) });
    t.equal(p.status, 204, p.text);
    return r.headers.location!;
  };
  const urls = [await part(300_000, 7), await part(200_000, 8)];
  t.equal(await usage(), used, 'parts are never linked: no usage yet');
  const final = await http(`${base}/files`, { method: 'POST', headers: { ...tus, 'upload-concat': `final;${urls.join(' ')}`, 'upload-metadata': `filename ${Buffer.from('joined.bin').toString('base64')}` } });
  t.equal(final.status, 201, final.text);
  t.ok(final.headers['hoard-link-id'], 'the final upload ends at its creation with a link');
  t.equal(await usage(), used + 500_000, 'the final counts its whole size');
  const page = await http(`${base}/account`, { headers: bearer });
  t.match(page.text, /joined\.bin/, 'and it is listed on the account page');
});

await t.test('the owner is the tracker\'s to sign: a URL stripped of it, or a node naming another, is refused', async (t) => {
  const target = await http(`${base}${TRACKER.uploadTarget}`, { method: 'POST', headers: { ...bearer, ...json }, body: JSON.stringify({ filename: 'e.bin', size: 10 }) });
  const url = new URL((JSON.parse(target.text) as UploadTarget).url);
  t.ok(url.searchParams.get('owner'), 'a signed-in upload URL carries its owner');
  url.searchParams.delete('owner');
  const stripped = await http(url.toString(), { method: 'PUT', body: Buffer.alloc(10, 5) });
  t.equal(errorCode(stripped.text), 'TOKEN_INVALID', 'stripped of its owner: refused by the node');

  const body = Buffer.from('forged');
  const id = sha256(body);
  const { createHash } = await import('node:crypto');
  const manifest: BlobManifest = { id, md5: createHash('md5').update(body).digest('hex'), sha256: id, size: body.length, chunkSize: 65536, chunks: [{ size: body.length, sha256: id }] };
  const forged = signOwner(c.secret, 'AAAAAAAAAAAAAAAAAAAAAA', { user: 'someone' });
  const r = await c.api<unknown>('POST', TRACKER.commit, { nodeId: node.id, filename: 'f.bin', manifest, uploadId: 'BBBBBBBBBBBBBBBBBBBBBB', owner: forged }).then(
    () => 'committed',
    (err: Error) => err.message,
  );
  t.match(r, /TOKEN_INVALID/, 'an owner signed for another upload: refused at the commit');
});
