// A node's /internal/blobs copy-in, listing, verify and removal in-process:
// two nodes, one the source of a copy, the other copying it in. Cluster
// credential on every call, copies verified chunk by chunk, a throttle that
// holds, listing in id order, verification that finds a flipped byte, drops.
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { callJson } from '../../../../common/client.js';
import type { BadCopyReport, BlobVerifyAnswer, CopyFromAnswer, NodeBlobPage } from '../../../../common/protocol/integrity.js';
import { AUTH_HEADER } from '../../../../common/protocol/routes.js';
import { type BlobManifest } from '../../../../common/protocol/types.js';
import { clusterAuth, signUrl } from '../../../../common/sign.js';
import type { FileChunkStore } from '../../../../node/store/file-chunk-store.js';
import { SECRET, startNode as composeAndListen } from '../rig.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function startNode(t: Test, chunkSize: number) {
  // A stand-in tracker that knows none of these blobs: removal is allowed, bad copies are reported here.
  const reports: BadCopyReport[] = [];
  const { node, dir, base } = await composeAndListen(t, {
    flags: { chunkSize, verifyCacheTtl: 0, id: 'n' },
    copies: {
      reportBad: async (r) => (reports.push(r), { recorded: true }),
      held: async (_node, ids) => Object.fromEntries(ids.map((id) => [id, 'unknown' as const])),
    },
  });
  return { base, dir, store: node.store, reports };
}

async function storeBlob(store: FileChunkStore, data: Buffer): Promise<BlobManifest> {
  const w = await store.begin();
  for (let i = 0; i < data.length; i += 10_000) await w.write(data.subarray(i, i + 10_000));
  return (await w.publish()).manifest;
}

const sourceUrl = (base: string, id: string) => signUrl(SECRET, `${base}/blob/${id}`, { verb: 'GET', resource: id, exp: Math.floor(Date.now() / 1000) + 600, extra: '' });

const CS = 64 * 1024;
const src = await startNode(t, CS);
// The target is configured with another chunk size: a copy keeps the source's chunking.
const dst = await startNode(t, 4 * CS);
const data = randomBytes(5 * CS + 123);
const manifest = await storeBlob(src.store, data);
const copyPath = (id: string) => `/internal/blobs/${id}/copy-from`;
const pull = (body: unknown) => callJson<CopyFromAnswer>(dst.base, 'POST', copyPath(manifest.id), { secret: SECRET, body });

t.test('every call needs the cluster credential, bound to method, path and body', async (t) => {
  const plain = await request(`${dst.base}/internal/blobs`, { method: 'GET' });
  t.equal(plain.statusCode, 401);
  await plain.body.dump();
  const wrongPath = await request(`${dst.base}/internal/blobs`, { method: 'GET', headers: { [AUTH_HEADER]: clusterAuth(SECRET, 'GET', '/internal/blobs?limit=5') } });
  t.equal(wrongPath.statusCode, 401, 'a credential for another path');
  await wrongPath.body.dump();
  const body = JSON.stringify({ source: sourceUrl(src.base, manifest.id), manifest, rate: 0 });
  const swapped = await request(`${dst.base}${copyPath(manifest.id)}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', [AUTH_HEADER]: clusterAuth(SECRET, 'POST', copyPath(manifest.id), Date.now(), body.replace('"rate":0', '"rate":1')) },
  });
  t.equal(swapped.statusCode, 401, 'a body other than the one the credential vouches for');
  await swapped.body.dump();
  await t.rejects(callJson(dst.base, 'DELETE', `/internal/blobs/${manifest.id}`, { secret: 'another-secret-000000' }), { status: 401, code: 'UNAUTHORIZED' });
  t.equal(await dst.store.has(manifest.id), false, 'nothing copied');
});

t.test('copy-from copies the blob, verified, with the source chunking; a second one is a no-op', async (t) => {
  const r = await pull({ source: sourceUrl(src.base, manifest.id), manifest, rate: 0 });
  t.equal(r.created, true);
  t.equal(r.bytes, data.length);
  const got = await dst.store.get(manifest.id);
  t.same(got?.manifest, manifest, 'same manifest, chunk for chunk');
  const chunks: Buffer[] = [];
  for await (const c of await dst.store.read(manifest.id)) chunks.push(c as Buffer);
  t.equal(sha256(Buffer.concat(chunks)), manifest.sha256);
  const again = await pull({ source: sourceUrl(src.base, manifest.id), manifest, rate: 0 });
  t.equal(again.created, false);
});

t.test('a copy that does not match the manifest is refused and leaves nothing', async (t) => {
  const other = await storeBlob(src.store, randomBytes(3 * CS));
  const lie: BlobManifest = { ...other, chunks: other.chunks.map((c, i) => (i === 1 ? { ...c, sha256: '0'.repeat(64) } : c)) };
  await t.rejects(
    callJson(dst.base, 'POST', copyPath(other.id), { secret: SECRET, body: { source: sourceUrl(src.base, other.id), manifest: lie, rate: 0 } }),
    { status: 502, code: 'REPLICA_MISMATCH' },
  );
  t.equal(await dst.store.has(other.id), false);
  await t.rejects(
    callJson(dst.base, 'POST', copyPath(other.id), { secret: SECRET, body: { source: sourceUrl(src.base, manifest.id), manifest: other, rate: 0 } }),
    { status: 502, code: 'REPLICA_MISMATCH' },
    'bytes of another blob',
  );
  t.equal(await dst.store.has(other.id), false);
  await t.rejects(
    callJson(dst.base, 'POST', copyPath(other.id), { secret: SECRET, body: { source: sourceUrl(src.base, 'f'.repeat(64)), manifest: other, rate: 0 } }),
    { status: 502, code: 'UPSTREAM_FAILED' },
    'a source without the blob',
  );
  await t.rejects(pull({ source: 'ftp://x', manifest, rate: 0 }), { status: 400, code: 'BAD_REQUEST' });
  await t.rejects(pull({ source: sourceUrl(src.base, manifest.id), manifest: { ...manifest, size: 1 }, rate: 0 }), { status: 400, code: 'BAD_REQUEST' });
  t.same(await readdirOrEmpty(join(dst.dir, 'tmp')), [], 'no temp files left');
});

t.test('the rate limit holds', async (t) => {
  const big = await storeBlob(src.store, randomBytes(400_000));
  const started = Date.now();
  const r = await callJson<CopyFromAnswer>(dst.base, 'POST', copyPath(big.id), {
    secret: SECRET,
    body: { source: sourceUrl(src.base, big.id), manifest: big, rate: 1_000_000 },
  });
  const ms = Date.now() - started;
  t.equal(r.bytes, 400_000);
  t.ok(ms >= 300, `400 kB at 1 MB/s took ${ms} ms`);
});

t.test('listing is in id order and pages with after', async (t) => {
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push((await storeBlob(dst.store, randomBytes(100 + i))).id);
  const all = [...new Set([...ids, manifest.id, ...(await listAll())])].sort();
  const paged: string[] = [];
  let after = '';
  for (;;) {
    const q = `/internal/blobs?limit=5${after ? '&after=' + after : ''}`;
    const page = await callJson<NodeBlobPage>(dst.base, 'GET', q, { secret: SECRET });
    t.ok(page.blobs.every((b) => Number.isFinite(Date.parse(b.mtime))), 'each with when it arrived');
    paged.push(...page.blobs.map((b) => b.id));
    if (page.blobs.length < 5) break;
    after = page.blobs[page.blobs.length - 1]!.id;
  }
  t.same(paged, all);
  await t.rejects(callJson(dst.base, 'GET', '/internal/blobs?after=xyz', { secret: SECRET }), { status: 400, code: 'BAD_REQUEST' });
});

t.test('verify re-reads a copy and finds a flipped byte or a short chunk; delete drops it', async (t) => {
  const verify = (id: string) => callJson<BlobVerifyAnswer>(dst.base, 'POST', `/internal/blobs/${id}/verify`, { secret: SECRET });
  const ok = await verify(manifest.id);
  t.same(ok.bad, []);
  t.match(ok, { id: manifest.id, sha256: manifest.sha256, md5: manifest.md5, size: manifest.size, chunkSize: manifest.chunkSize, chunks: manifest.chunks.length });
  const chunkOf = (id: string) => join(dst.dir, 'blobs', id.slice(0, 2), id, '000003');
  const fh = await open(chunkOf(manifest.id), 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, 77);
  b[0] = b[0]! ^ 0xff;
  await fh.write(b, 0, 1, 77);
  await fh.close();
  const bad = await verify(manifest.id);
  t.same(bad.bad, [3]);
  t.equal(await dst.store.has(manifest.id), false, 'a bad copy is withdrawn (quarantined)');
  t.match(dst.reports, [{ blobId: manifest.id, chunks: [3], source: 'verify' }], 'and reported to the tracker');

  // Another copy of the same blob, then a chunk cut short.
  t.equal((await pull({ source: sourceUrl(src.base, manifest.id), manifest, rate: 0 })).created, true, 'copied in again over the quarantined one');
  const chunk = chunkOf(manifest.id);
  await writeFile(chunk, (await readFile(chunk)).subarray(0, 10));
  const short = await verify(manifest.id);
  t.same(short.bad, [3], 'a short chunk is bad, the intact ones after it are not');
  await t.rejects(verify(manifest.id), { status: 404, code: 'BLOB_NOT_FOUND' }, 'withdrawn after the bad verify');

  const kept = await storeBlob(dst.store, randomBytes(1000));
  const del = await callJson<{ removed: boolean }>(dst.base, 'DELETE', `/internal/blobs/${kept.id}`, { secret: SECRET });
  t.equal(del.removed, true);
  t.equal(await dst.store.has(kept.id), false);
  const again = await callJson<{ removed: boolean }>(dst.base, 'DELETE', `/internal/blobs/${kept.id}`, { secret: SECRET });
  t.equal(again.removed, false, 'a second delete is harmless');
  await t.rejects(verify(kept.id), { status: 404, code: 'BLOB_NOT_FOUND' });
});

async function listAll(): Promise<string[]> {
  const out: string[] = [];
  for await (const id of dst.store.list()) out.push(id);
  return out;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  return readdir(dir).catch(() => []);
}
