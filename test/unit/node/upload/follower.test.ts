// The follower's routes of the write pipeline on a real node: a stream is
// kept only once a manifest matching every chunk publishes it; a manifest
// that differs keeps nothing; the stream needs the cluster credential.
import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { request } from 'undici';
import { AUTH_HEADER } from '../../../../common/protocol/routes.js';
import type { BlobManifest } from '../../../../common/protocol/types.js';
import { callJson } from '../../../../common/client.js';
import { clusterAuthStream } from '../../../../common/sign.js';
import { streamPath } from '../../../../node/upload/pipeline.js';
import { SECRET, startNode } from '../rig.js';

const CS = 64 * 1024;
const hex = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');

function manifestOf(body: Buffer): BlobManifest {
  const chunks = [];
  for (let o = 0; o < body.length; o += CS) chunks.push({ size: Math.min(CS, body.length - o), sha256: hex('sha256', body.subarray(o, o + CS)) });
  const sha256 = hex('sha256', body);
  return { id: sha256, sha256, md5: hex('md5', body), size: body.length, chunkSize: CS, chunks };
}

const rig = await startNode(t);
/** Pipeline keys are upload ids. */
const KEY: Record<string, string> = Object.fromEntries(['key-ok', 'key-bad', 'key-anon', 'key-twice'].map((k) => [k, randomBytes(16).toString('base64url')]));
const stream = async (key: string, body: Buffer, auth = true) => {
  const path = streamPath(key, CS, body.length);
  const res = await request(rig.base + path, { method: 'PUT', body, headers: auth ? { [AUTH_HEADER]: clusterAuthStream(SECRET, 'PUT', path) } : {} });
  return { status: res.statusCode, json: (await res.body.json()) as { bytes?: number; error?: { code: string } } };
};
const publish = (key: string, manifest: BlobManifest) => callJson<{ id: string; created: boolean }>(rig.base, 'POST', `/internal/pipeline/${key}/publish`, { secret: SECRET, body: { manifest } });

t.test('a matching manifest publishes the streamed copy', async (t) => {
  const body = randomBytes(3 * CS + 123);
  t.same(await stream(KEY['key-ok']!, body), { status: 200, json: { bytes: body.length } });
  const m = manifestOf(body);
  t.same(await publish(KEY['key-ok']!, m), { id: m.id, created: true });
  t.ok(await rig.node.store.get(m.id), 'the copy is in the store');
  await t.rejects(publish(KEY['key-ok']!, m), { code: 'UPLOAD_NOT_FOUND' }, 'published once');
});

t.test('a manifest that differs in one chunk keeps nothing', async (t) => {
  const body = randomBytes(2 * CS);
  t.equal((await stream(KEY['key-bad']!, body)).status, 200);
  const other = Buffer.from(body);
  other[CS + 5] = other[CS + 5]! ^ 1;
  const m = manifestOf(other);
  await t.rejects(publish(KEY['key-bad']!, m), { code: 'REPLICA_MISMATCH' });
  t.notOk(await rig.node.store.get(m.id), 'nothing published');
});

t.test('the stream needs the cluster credential; a key streams once', async (t) => {
  const body = randomBytes(100);
  t.equal((await stream(KEY['key-anon']!, body, false)).status, 401);
  await t.rejects(publish(KEY['key-anon']!, manifestOf(body)), { code: 'UPLOAD_NOT_FOUND' });
  t.equal((await stream(KEY['key-twice']!, body)).status, 200);
  const again = await stream(KEY['key-twice']!, body);
  t.equal(again.status, 423);
  t.equal(again.json.error?.code, 'UPLOAD_LOCKED');
});
