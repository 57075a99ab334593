// The node's tus routes over HTTP, on a composed node with a stand-in
// tracker: creation (internal, credential checked by the router), HEAD,
// PATCH with its rules, the early stop, termination, OPTIONS, and the proof
// a holder computes.
import { createHash, randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { callJson } from '../../../../common/client.js';
import { computeProof, makeChallenge } from '../../../../common/proof.js';
import { TUS_H, TUS_VERSION } from '../../../../common/protocol/tus.js';
import type { CommitProvenRequest, ProofComputeResponse, ProofVerifyRequest, ProofVerifyResponse, TusCreateRequest, TusCreateResponse } from '../../../../common/protocol/types.js';
import type { TrackerApi } from '../../../../node/cluster/tracker-client.js';
import { SECRET, standInTracker, startNode } from '../rig.js';

const MiB = 1 << 20;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
let ids = 0;
const nextId = () => `tus-handlers-${String(++ids).padStart(9, '0')}`;

interface Verdicts {
  verify?: (req: ProofVerifyRequest) => Promise<ProofVerifyResponse>;
  proven?: (req: CommitProvenRequest) => Promise<{ link: string; id: string; dedup: boolean; nodes: string[] }>;
}

async function rig(t: Test, verdicts: Verdicts = {}) {
  const stand = standInTracker();
  const tracker: TrackerApi = {
    ...stand.api,
    verifyProof: verdicts.verify ?? (() => Promise.reject(new Error('no proofs here'))),
    commitProven: verdicts.proven ?? (() => Promise.reject(new Error('no early stops here'))),
  };
  const n = await startNode(t, { flags: { chunkSize: 256 * 1024, maxUploadSize: 64 * MiB }, tracker });
  const create = (body: Partial<TusCreateRequest> & { length: number }) =>
    callJson<TusCreateResponse>(n.base, 'POST', '/internal/tus', { secret: SECRET, body: { uploadId: nextId(), filename: 'up.bin', ...body } });
  const call = async (method: string, id: string, headers: Record<string, string> = {}, body?: Buffer) => {
    const res = await request(`${n.base}/tus/${id}`, { method: method as 'PATCH', headers: { [TUS_H.resumable]: TUS_VERSION, ...headers }, body });
    const text = await res.body.text();
    const h = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
    return { status: res.statusCode, headers: h, code: text.startsWith('{') ? (JSON.parse(text) as { error?: { code: string } }).error?.code : undefined };
  };
  const patch = (id: string, offset: number, body: Buffer, extra: Record<string, string> = {}) =>
    call('PATCH', id, { [TUS_H.offset]: String(offset), 'content-type': 'application/offset+octet-stream', ...extra }, body);
  return { ...n, commits: stand.commits, create, call, patch };
}

t.test('creation is internal: the router wants the cluster credential; the node checks the request', async (t) => {
  const r = await rig(t);
  const anon = await request(`${r.base}/internal/tus`, { method: 'POST', body: JSON.stringify({ uploadId: nextId(), filename: 'a', length: 1 }) });
  await anon.body.text();
  t.equal(anon.statusCode, 401);
  const id = nextId();
  const made = await callJson<TusCreateResponse>(r.base, 'POST', '/internal/tus', { secret: SECRET, body: { uploadId: id, filename: 'a.bin', length: 10 } });
  t.ok(made.expires > Date.now());
  t.equal((await r.call('HEAD', id)).status, 200);
  await t.rejects(r.create({ length: 64 * MiB + 1 }), { name: 'RemoteError', status: 413, code: 'PAYLOAD_TOO_LARGE' }, 'over the node limit');
  await t.rejects(r.create({ length: -1 }), { name: 'RemoteError', status: 400 });
  await t.rejects(r.create({ length: 1, filename: 'a/b' }), { status: 400, code: 'FILENAME_INVALID' });
  await t.rejects(r.create({ length: 1, uploadId: 'short' }), { name: 'RemoteError', status: 400 });
});

t.test('HEAD: offset, length, metadata, expiry and challenge; Tus-Resumable required', async (t) => {
  const r = await rig(t);
  const challenge = makeChallenge(4 * MiB);
  const declared = { md5: 'c'.repeat(32), sha256: 'd'.repeat(64) };
  const id = nextId();
  await callJson(r.base, 'POST', '/internal/tus', { secret: SECRET, body: { uploadId: id, filename: 'x.bin', length: 4 * MiB, declared, challenge } });
  const h = await r.call('HEAD', id);
  t.equal(h.status, 200);
  t.equal(h.headers[TUS_H.offset], '0');
  t.equal(h.headers[TUS_H.length], String(4 * MiB));
  t.ok(Date.parse(h.headers[TUS_H.expires] ?? '') > Date.now());
  t.match(h.headers[TUS_H.metadata], /filename eC5iaW4=/);
  t.ok(h.headers[TUS_H.challenge], 'the challenge while it can be answered');
  t.equal(h.headers['tus-resumable'], TUS_VERSION);
  const old = await request(`${r.base}/tus/${id}`, { method: 'HEAD' });
  await old.body.text();
  t.equal(old.statusCode, 412);
  t.equal(old.headers['tus-version'], TUS_VERSION);
  t.equal((await r.call('HEAD', nextId())).status, 404);
});

t.test('PATCH rules, a checksum that does not match drops that body, and the last byte answers with the link', async (t) => {
  const r = await rig(t);
  const data = randomBytes(3 * MiB + 17);
  const id = nextId();
  await callJson(r.base, 'POST', '/internal/tus', { secret: SECRET, body: { uploadId: id, filename: 'f.bin', length: data.length } });
  t.equal((await r.call('PATCH', id, { [TUS_H.offset]: '0', 'content-type': 'application/octet-stream' }, data.subarray(0, 10))).status, 415);
  t.equal((await r.call('PATCH', id, { 'content-type': 'application/offset+octet-stream' }, data.subarray(0, 10))).status, 400, 'no Upload-Offset');
  t.match(await r.patch(id, 5, data.subarray(0, 10)), { status: 409, code: 'OFFSET_MISMATCH' });
  t.match(await r.patch(id, 0, Buffer.concat([data, Buffer.from('x')])), { status: 413 }, 'past Upload-Length');
  t.match(await r.patch(id, 0, data.subarray(0, 10), { [TUS_H.checksum]: 'crc99 AAAA' }), { status: 400 });

  const first = await r.patch(id, 0, data.subarray(0, MiB), { [TUS_H.checksum]: `md5 ${b64(md5(data.subarray(0, MiB)))}` });
  t.equal(first.status, 204);
  t.equal(first.headers[TUS_H.offset], String(MiB));
  const bad = await r.patch(id, MiB, data.subarray(MiB, 2 * MiB), { [TUS_H.checksum]: `sha256 ${b64(sha256(Buffer.from('other')))}` });
  t.match(bad, { status: 460, code: 'CHECKSUM_MISMATCH' });
  t.equal((await r.call('HEAD', id)).headers[TUS_H.offset], String(MiB), 'its bytes were dropped');

  const last = await r.patch(id, MiB, data.subarray(MiB));
  t.equal(last.status, 204);
  t.equal(last.headers[TUS_H.offset], String(data.length));
  t.equal(last.headers[TUS_H.link], 'http://tracker/f/link1');
  t.equal(last.headers[TUS_H.dedup], '0');
  t.match(r.commits, [{ uploadId: id, filename: 'f.bin', manifest: { sha256: sha256(data) } }]);
  t.ok(await r.node.store.has(sha256(data)));
  t.equal((await r.patch(id, data.length, Buffer.alloc(0))).status, 204, 'an empty PATCH at the end is in step');
  t.match(await r.patch(id, data.length, Buffer.from('more')), { status: 409 }, 'anything more is not');
  t.equal((await r.call('HEAD', id)).headers[TUS_H.link], 'http://tracker/f/link1', 'HEAD tells the link too');
});

t.test('a declared duplicate that proves possession ends early, with the proven link', async (t) => {
  const data = randomBytes(3 * MiB);
  const head = data.subarray(0, MiB);
  const asked: ProofVerifyRequest[] = [];
  const r = await rig(t, {
    verify: async (req) => (asked.push(req), { ok: true, blobId: sha256(data), prefixes: [{ offset: MiB, md5: md5(head), sha256: sha256(head) }] }),
    proven: async () => ({ link: 'http://tracker/f/old', id: 'old', dedup: true, nodes: ['node-b'] }),
  });
  const challenge = makeChallenge(data.length);
  const id = nextId();
  await callJson(r.base, 'POST', '/internal/tus', {
    secret: SECRET,
    body: { uploadId: id, filename: 'dup.bin', length: data.length, declared: { md5: md5(data), sha256: sha256(data) }, challenge },
  });
  const proof = await computeProof(challenge, id, data.length, async function* (s, e) {
    yield data.subarray(s, e + 1);
  });
  const res = await r.patch(id, 0, data, { [TUS_H.proof]: proof });
  t.equal(res.status, 204);
  t.equal(res.headers[TUS_H.offset], String(data.length), 'the client is told it is done');
  t.equal(res.headers[TUS_H.link], 'http://tracker/f/old');
  t.equal(res.headers[TUS_H.dedup], '1');
  // With the challenge as issued, so that a tracker other than the one that issued it can check the answer.
  t.same(asked, [{ uploadId: id, nodeId: 'node-a', proof, issued: { challenge, length: data.length, declared: { md5: md5(data), sha256: sha256(data) } } }]);
  t.equal(r.commits.length, 0, 'no commit of a blob of its own');
  t.equal(r.node.store.count(), 0);
});

t.test('termination and OPTIONS', async (t) => {
  const r = await rig(t);
  const id = nextId();
  await callJson(r.base, 'POST', '/internal/tus', { secret: SECRET, body: { uploadId: id, filename: 'gone.bin', length: 2 * MiB } });
  t.equal((await r.patch(id, 0, randomBytes(MiB))).status, 204);
  t.equal((await r.call('DELETE', id)).status, 204);
  t.equal((await r.call('HEAD', id)).status, 404);
  t.same(await r.node.store.listResumable(), [], 'with its bytes');
  const opt = await request(`${r.base}/tus/${id}`, { method: 'OPTIONS' });
  await opt.body.text();
  t.equal(opt.statusCode, 204, 'OPTIONS needs no version');
  t.equal(opt.headers['tus-version'], TUS_VERSION);
  t.equal(opt.headers['tus-max-size'], String(64 * MiB));
  t.match(opt.headers['tus-extension'], /termination/);
  const other = await r.call('POST', id);
  t.equal(other.status, 405);
  t.equal(other.headers.allow, 'HEAD, PATCH, DELETE, OPTIONS');
});

t.test('POST /internal/proof: the answer a holder computes from its copy', async (t) => {
  const r = await rig(t);
  const data = randomBytes(2 * MiB + 5);
  const w = await r.node.store.begin();
  await w.write(Buffer.from(data));
  const { manifest } = await w.publish();
  const challenge = makeChallenge(data.length);
  const uploadId = nextId();
  const got = await callJson<ProofComputeResponse>(r.base, 'POST', '/internal/proof', { secret: SECRET, body: { blobId: manifest.id, uploadId, challenge } });
  const want = await computeProof(challenge, uploadId, data.length, async function* (s, e) {
    yield data.subarray(s, e + 1);
  });
  t.equal(got.proof, want);
  await t.rejects(callJson(r.base, 'POST', '/internal/proof', { secret: SECRET, body: { blobId: 'e'.repeat(64), uploadId, challenge } }), { name: 'RemoteError', status: 404 });
  const anon = await request(`${r.base}/internal/proof`, { method: 'POST', body: '{}' });
  await anon.body.text();
  t.equal(anon.statusCode, 401);
});
