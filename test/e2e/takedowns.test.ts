// Takedowns end to end (docs/takedowns.md), on one real tracker and node:
// a link takedown answers 451 with the notice's reference on that link
// only; a content takedown answers 451 on every link to the content, stops
// a signed URL handed out before it within seconds, and refuses the
// content's upload (a plain PUT, a declared tus upload as `hoard put` makes
// it with its proof, an undeclared tus upload) with nothing kept; a user
// takedown can disable the account; lifting restores service; the audit
// log lists every admin action; and a download under way when its content
// is taken down is cut, its resumption refused.
import t from 'tap';
import { join } from 'node:path';
import type { UploadResult } from '../../common/protocol/types.js';
import type { AuditEntry, TakedownInfo } from '../../common/protocol/takedowns.js';
import type { UserInfo } from '../../common/protocol/accounts.js';
import { NODE } from '../../common/protocol/routes.js';
import { signUrl } from '../../common/sign.js';
import { useCluster } from '../helpers/cluster.js';
import { fileSize, listDir, listFiles, makeRandomFile, tempDir, type TestFile } from '../helpers/files.js';
import { curl, curlUpload, errorCode, http, resolveLink } from '../helpers/http.js';
import { describeRun, waitFor } from '../helpers/proc.js';
import { tusCreate, tusPatch } from '../helpers/tus.js';

const KiB = 1024;
// Who hoard-admin says the operator is (the audit log's actor).
process.env.HOARD_ADMIN_NAME = 'legal-desk';

const work = await tempDir();
t.teardown(work.cleanup);
const c = await useCluster(t, { nodes: [{ zone: 'a' }], chunkSize: 64 * KiB });
const node = c.nodes[0]!;

async function upload(f: TestFile, name: string): Promise<UploadResult> {
  const r = await curlUpload<UploadResult>(c.signUpload(node, name), f.path);
  if (r.status !== 201 || !r.json) throw new Error(`upload of ${name}: ${r.status} ${r.text}`);
  return r.json;
}

/** What the node keeps: blobs, resumable uploads' chunk files, temporary files. */
async function kept(): Promise<string[]> {
  const out = [...(await listFiles(join(node.dataDir, 'blobs'))).map((p) => `blobs/${p}`)];
  for (const p of await listFiles(join(node.dataDir, 'tus'))) if (!p.endsWith('.json')) out.push(`tus/${p}`);
  for (const p of await listDir(join(node.dataDir, 'tmp'))) out.push(`tmp/${p}`);
  return out.sort();
}

async function takedown(scope: string, target: string, reason: string, ...more: string[]): Promise<TakedownInfo> {
  return c.admin<TakedownInfo>(['takedown', scope, target, '--reason', reason, ...more]);
}

/** Status of a node URL, fetched anew. */
const statusOf = async (url: string) => (await http(url)).status;

const a = await makeRandomFile(join(work.dir, 'a.bin'), 200 * KiB);
const b = await makeRandomFile(join(work.dir, 'b.bin'), 90 * KiB);
// Two links to each content.
const a1 = await upload(a, 'a1.bin');
const a2 = await upload(a, 'a2.bin');
const b1 = await upload(b, 'b1.bin');
const b2 = await upload(b, 'b2.bin');

await t.test('link scope: that link answers 451 with the reference, at the tracker and at the node; the others still serve', async (t) => {
  const before = await resolveLink(b1.link);
  t.equal(await statusOf(before), 200, 'the signed URL serves before the takedown');
  const n = await takedown('link', b1.link, 'trademark complaint', '--ref', 'TM-2026-17');
  t.match(n, { scope: 'link', target: b1.id, ref: 'TM-2026-17', by: 'legal-desk', inForce: true });

  const r = await http(b1.link);
  t.equal(r.status, 451);
  t.equal(errorCode(r.text), 'TAKEN_DOWN');
  t.match(r.text, /TM-2026-17/, 'the JSON error names the notice');
  t.equal(r.headers['x-hoard-notice'], 'TM-2026-17');
  const info = await http(`${c.trackerUrl}/api/links/${b1.id}`);
  t.equal(info.status, 451, 'the link info too');
  const page = await http(b1.link, { headers: { accept: 'text/html' } });
  t.equal(page.status, 451, 'a browser gets a page with the same status');
  t.match(page.text, /Unavailable for legal reasons/);
  t.match(page.text, /TM-2026-17/);

  t.equal((await http(b2.link)).status, 302, 'the other link to the same content still resolves');
  await waitFor('the node to refuse the signed URL handed out before', async () => (await statusOf(before)) === 451, 10_000);
  t.equal(await statusOf(await resolveLink(b2.link)), 200, "the other link's download still serves");
});

let contentNotice: TakedownInfo | undefined;

await t.test('content scope: every link 451, a signed URL from before stops within seconds, re-uploads refused with nothing kept', async (t) => {
  const before = await resolveLink(a2.link);
  t.equal(await statusOf(before), 200);
  const keptBefore = await kept();
  const linksBefore = (await c.links()).length;

  // By any link id of the content.
  contentNotice = await takedown('content', a1.id, 'copyright notice', '--ref', 'DMCA-4411');
  t.match(contentNotice, { scope: 'content', target: a.sha256, ref: 'DMCA-4411', inForce: true });
  for (const l of [a1, a2]) {
    const r = await http(l.link);
    t.equal(r.status, 451, `${l.id} answers 451`);
    t.equal(r.headers['x-hoard-notice'], 'DMCA-4411');
  }
  await waitFor('the node to refuse the signed URL handed out before', async () => (await statusOf(before)) === 451, 10_000);
  const refused = await http(before);
  t.equal(errorCode(refused.text), 'TAKEN_DOWN');
  t.match(refused.text, /DMCA-4411/);

  // A plain PUT of the same bytes.
  const put = await curlUpload<UploadResult>(c.signUpload(node, 'again.bin'), a.path);
  t.equal(put.status, 451, `plain PUT refused: ${put.text}`);
  t.equal(errorCode(put.text), 'TAKEN_DOWN');
  // hoard put: a declared tus upload, which would prove possession and stop early.
  const hp = await c.client(['put', '--json', '--state-dir', join(work.dir, 'state'), a.path], 60_000);
  t.not(hp.code, 0, 'hoard put fails');
  t.match(hp.stderr + hp.stdout, /TAKEN_DOWN|451|legal/, describeRun(hp));
  // A tus upload that declares nothing: refused when its last byte is in, before it is published.
  const created = await tusCreate(c.trackerUrl, { size: a.size, filename: 'quiet.bin' });
  t.equal(created.status, 201);
  const { readFile } = await import('node:fs/promises');
  const patched = await tusPatch(created.url, 0, await readFile(a.path));
  t.equal(patched.status, 451, `undeclared tus refused at its end: ${patched.text}`);

  t.same(await kept(), keptBefore, 'nothing of the refused uploads is kept on the node');
  t.equal((await c.links()).length, linksBefore, 'no new link');
});

await t.test('content scope by SHA-256, for a content not stored: its first upload is refused', async (t) => {
  const d = await makeRandomFile(join(work.dir, 'd.bin'), 70 * KiB);
  const n = await takedown('content', d.sha256, 'court order');
  t.match(n, { scope: 'content', target: d.sha256, uploaders: [] });
  const put = await curlUpload<UploadResult>(c.signUpload(node, 'd.bin'), d.path);
  t.equal(put.status, 451);
  const declared = await tusCreate(c.trackerUrl, { size: d.size, md5: d.md5, sha256: d.sha256 });
  t.equal(declared.status, 451, 'a declared tus upload is refused at its creation');
});

await t.test("user scope: every link the account uploaded answers 451, others' links to the same content serve; the account can be disabled", async (t) => {
  const u = await c.api<UserInfo>('POST', '/internal/admin/users', { name: 'mallory', password: 'correct horse battery' });
  const login = await http(`${c.trackerUrl}/api/account/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'mallory', password: 'correct horse battery', token: 'cli' }),
  });
  const token = (JSON.parse(login.text) as { token: string }).token;
  const asMallory = async (f: TestFile, name: string) => {
    const r = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/${name}`, f.path, ['-H', `authorization: Bearer ${token}`]);
    if (r.status !== 201 || !r.json) throw new Error(`upload as mallory: ${r.status} ${r.text}`);
    return r.json;
  };
  const e = await makeRandomFile(join(work.dir, 'e.bin'), 50 * KiB);
  const m1 = await asMallory(e, 'm1.bin');
  const m2 = await asMallory(b, 'm2.bin');
  const before = await resolveLink(m1.link);

  // By a link id of theirs.
  const n = await takedown('user', m2.id, 'repeat infringement', '--ref', 'RI-9', '--disable');
  t.match(n, { scope: 'user', target: u.id, disabledAccount: true, uploaders: [u.id], strikes: [{ user: u.id, name: 'mallory', strikes: 1 }] });
  for (const l of [m1, m2]) t.equal((await http(l.link)).status, 451, `${l.id} answers 451`);
  t.equal((await http(b2.link)).status, 302, "another uploader's link to a content of theirs still serves");
  await waitFor('the node to refuse their signed URL handed out before', async () => (await statusOf(before)) === 451, 10_000);
  t.match(await c.api<UserInfo>('GET', '/internal/admin/users/mallory'), { disabled: true });
  t.equal((await http(`${c.trackerUrl}/api/account`, { headers: { authorization: `Bearer ${token}` } })).status, 401, 'their token stopped working');
  const unknown = await c.adminRun(['takedown', 'user', 'nobody-here', '--reason', 'x']);
  t.not(unknown.code, 0);
  t.match(unknown.stderr, /USER_NOT_FOUND/);
});

await t.test('lift restores service: links resolve, fresh URLs serve, the content uploads again', async (t) => {
  const lifted = await c.admin<TakedownInfo>(['takedown', 'lift', contentNotice!.id]);
  t.match(lifted, { inForce: false, liftedBy: 'legal-desk' });
  for (const l of [a1, a2]) t.equal(await statusOf(await resolveLink(l.link)), 200, `${l.id} serves again`);
  const again = await upload(a, 'again.bin');
  t.equal(again.sha256, a.sha256, 'the content uploads again');
  const twice = await c.adminRun(['takedown', 'lift', contentNotice!.id]);
  t.not(twice.code, 0);
  t.match(twice.stderr, /TAKEDOWN_LIFTED/);
  t.equal((await http(b1.link)).status, 451, 'the link notice is still in force');

  const inForce = await c.admin<TakedownInfo[]>(['takedown', 'list']);
  t.same(inForce.map((x) => x.scope).sort(), ['content', 'link', 'user'], 'list: the notices in force');
  const every = await c.admin<TakedownInfo[]>(['takedown', 'list', '--all']);
  t.equal(every.length, 4, 'list --all: the lifted one too');
});

await t.test('the audit log lists every admin action, oldest first, with who did it', async (t) => {
  await c.adminRun(['users', 'set-tier', 'mallory', 'premium', '--days', '3']);
  const del = await c.adminRun(['users', 'delete', 'mallory']);
  t.equal(del.code, 0, describeRun(del));
  const gc = await c.adminRun(['gc']);
  t.equal(gc.code, 0, describeRun(gc));
  const fsck = await c.adminRun(['fsck', '--repair']);
  t.equal(fsck.code, 0, describeRun(fsck));
  const log = await c.admin<AuditEntry[]>(['audit']);
  const actions = log.map((e) => e.action);
  t.same(actions, ['takedown.link', 'takedown.content', 'takedown.content', 'user.create', 'takedown.user', 'user.disable', 'takedown.lift', 'user.tier', 'user.delete', 'worker.run', 'fsck.repair']);
  t.match(log.find((e) => e.action === 'user.delete'), { target: 'mallory', detail: /2 link\(s\)/ });
  t.ok(log.filter((e) => e.action !== 'user.create').every((e) => e.actor === 'legal-desk'), 'hoard-admin named the operator');
  t.match(log[1], { action: 'takedown.content', target: a.sha256, detail: /DMCA-4411.*copyright notice/ });
  t.match(log.at(-4), { action: 'user.tier', target: 'mallory', detail: /premium/ });
  t.match(log.at(-2), { action: 'worker.run', target: 'gc' });
  const text = await c.adminRun(['audit']);
  t.match(text.stdout, /takedown\.lift/);
});

await t.test('a download under way when its content is taken down is cut within seconds; resuming it gets the 451', async (t) => {
  // An anonymous reader's URL through the link, paced at 128 KiB/s by the node: half a minute for the file, were it not cut.
  const f = await makeRandomFile(join(work.dir, 'f.bin'), 4096 * KiB);
  const l = await upload(f, 'f.bin');
  const exp = Math.floor(Date.now() / 1000) + 600;
  const policy = { tier: 'anonymous' as const, rate: 128 * KiB, lease: '', happy: undefined };
  const url = signUrl(c.secret, node.directUrl + NODE.blob + f.sha256, { verb: 'GET', resource: f.sha256, exp, extra: 'f.bin', link: l.id, policy });
  const out = join(work.dir, 'f.part');
  let ended = false;
  const reading = curl(['-o', out, url], 120_000).finally(() => (ended = true));
  await waitFor('the download to be under way', async () => (await fileSize(out)) > 0, 20_000);
  t.notOk(ended, 'still downloading when the takedown is issued');
  await takedown('content', l.id, 'court order', '--ref', 'CUT-7');
  await waitFor('the download to be cut', () => ended, 15_000);
  const r = await reading;
  t.not(r.code, 0, `curl saw the connection cut: ${describeRun(r)}`);
  const got = await fileSize(out);
  t.ok(got < f.size, `${got} of ${f.size} bytes arrived`);
  const resumed = await http(url, { headers: { range: `bytes=${got}-` } });
  t.equal(resumed.status, 451, 'resuming is refused');
  t.equal(resumed.headers['x-hoard-notice'], 'CUT-7');
});
