// A node's integrity work in-process: reads never send a byte of a bad chunk,
// the verified-chunk cache, the scrub, orphan reclaim, and the /internal/
// routes the tracker calls, against a stand-in tracker.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, rm, mkdtemp, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { HoardError } from '../../../../common/protocol/errors.js';
import { listen } from '../../../../common/http.js';
import type { BadCopyReport, CopyState } from '../../../../common/protocol/integrity.js';
import { createLogger } from '../../../../common/log.js';
import { AUTH_HEADER } from '../../../../common/protocol/routes.js';
import { clusterAuth, signUrl } from '../../../../common/sign.js';
import { metricsAuth } from '../../../helpers/http.js';
import { ChunkVerifier, rateLimiter } from '../../../../node/store/chunk-verifier.js';
import type { NodeContext } from '../../../../node/context.js';
import { chunkName, FileChunkStore } from '../../../../node/store/file-chunk-store.js';
import { integrityParts } from '../../../../node/integrity/setup.js';
import type { Integrity } from '../../../../node/integrity/integrity.js';
import { assembleNode } from '../../../../node/compose.js';
import type { NodeJobs } from '../../../../node/workers/pool.js';
import type { WorkerPool } from '../../../../common/worker.js';
import { KeyedLock } from '../../../../common/keyed-lock.js';
import type { Server } from 'node:http';
import { nodeConfig, standInTracker } from '../rig.js';
import type { CopiesApi } from '../../../../node/cluster/tracker-copies.js';
import { collect, store } from '../../../conformance/chunk-store/core.js';
import { flipChunkByte } from '../../../helpers/files.js';

const CS = 64 * 1024;
const SECRET = 'test-secret-0123456789';
const log = createLogger('test', 'silent');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A stand-in tracker: which copies it knows, and the bad-copy reports it got. */
function fakeCopies(states: Record<string, CopyState> = {}) {
  const reports: BadCopyReport[] = [];
  const asked: string[][] = [];
  let down = false;
  const api: CopiesApi = {
    async reportBad(r) {
      if (down) throw new Error('tracker down');
      reports.push(r);
      return { recorded: true };
    },
    async held(_nodeId, ids) {
      if (down) throw new Error('tracker down');
      asked.push(ids);
      return Object.fromEntries(ids.map((id) => [id, states[id] ?? 'unknown']));
    },
  };
  return { api, states, reports, asked, setDown: (v: boolean) => (down = v) };
}

interface Rig {
  dir: string;
  store: FileChunkStore;
  integrity: Integrity;
  /** The node as its server sees it, with its one worker pool. */
  ctx: NodeContext;
  /** Not listening. */
  server: Server;
  workers: WorkerPool<NodeJobs>;
  copies: ReturnType<typeof fakeCopies>;
  checks: { verified: number; cached: number; bad: number };
}

async function rig(t: Test, opts: { ttlS?: number; orphanGraceMs?: number; states?: Record<string, CopyState> } = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'hoard-integrity-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const copies = fakeCopies(opts.states);
  const parts = integrityParts({
    nodeId: 'node-a',
    log,
    copies: copies.api,
    locks: new KeyedLock(),
    signal: new AbortController().signal,
    settings: { scrubRate: 0, orphanGraceMs: opts.orphanGraceMs ?? 0, quarantineKeepMs: 3_600_000 },
    verifyCacheTtlS: opts.ttlS ?? 600,
  });
  const checks = { verified: 0, cached: 0, bad: 0 };
  // Count checks through a verifier of our own with the same TTL.
  const verifier = new ChunkVerifier({
    ttlMs: (opts.ttlS ?? 600) * 1000,
    onCheck: (r) => (r.ok ? (r.cached ? checks.cached++ : checks.verified++) : checks.bad++),
  });
  const s = new FileChunkStore({ dir, chunkSize: CS, log, verifier, onCorrupt: parts.onCorrupt });
  await s.open();
  const integrity = parts.assemble(s);
  // The rest of the node as hoard-node assembles it over that store.
  const node = await assembleNode(nodeConfig(dir, { chunkSize: CS, scrubSchedule: '0 0 1 1 *', orphanSchedule: '0 0 1 1 *', uploadExpiry: 3600 }), {
    log,
    nodeId: 'node-a',
    store: s,
    integrity,
    tracker: standInTracker(() => Promise.reject(new Error('no commits here'))).api,
    copies: copies.api,
  });
  t.teardown(() => node.close());
  return { dir, store: s, integrity, ctx: node.ctx, server: node.server, workers: node.workers, copies, checks };
}

/** Reads a stream to its end or its error; returns what arrived and the error. */
async function drain(r: NodeJS.ReadableStream): Promise<{ data: Buffer; err?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const p of r) parts.push(p as Buffer);
    return { data: Buffer.concat(parts) };
  } catch (err) {
    return { data: Buffer.concat(parts), err };
  }
}

t.test('a bad chunk in the middle: the bytes before it arrive, none of it, and the copy is withdrawn and reported', async (t) => {
  const r = await rig(t);
  const data = randomBytes(4 * CS);
  const { manifest: m } = await store(r.store, data);
  t.ok((await collect(await r.store.read(m.id))).equals(data), 'a good copy reads whole');

  await flipChunkByte(r.dir, m.id, 2, 100);
  const got = await drain(await r.store.read(m.id));
  t.ok(got.err instanceof HoardError && got.err.code === 'CHUNK_CORRUPT', `the stream fails with CHUNK_CORRUPT (${String(got.err)})`);
  t.ok(got.data.length <= 2 * CS, `at most the two good chunks arrived (${got.data.length} bytes)`);
  t.ok(got.data.equals(data.subarray(0, got.data.length)), 'what arrived is a correct prefix');
  t.same(r.copies.reports, [{ nodeId: 'node-a', blobId: m.id, chunks: [2], source: 'read' }], 'reported before the read failed');
  t.equal(await r.store.get(m.id), undefined, 'the copy is withdrawn');
  t.same((await r.store.quarantined()).map((q) => q.id), [m.id]);
});

t.test('a range that starts in a bad chunk fails before any byte (a clean error status)', async (t) => {
  const r = await rig(t);
  const data = randomBytes(3 * CS);
  const { manifest: m } = await store(r.store, data);
  await flipChunkByte(r.dir, m.id, 1, 5);
  await t.rejects(r.store.read(m.id, CS + 10, CS + 20), { code: 'CHUNK_CORRUPT' });
  t.equal(r.copies.reports.length, 1);
});

t.test('a chunk file gone from its blob is a bad chunk too', async (t) => {
  const r = await rig(t);
  const { manifest: m } = await store(r.store, randomBytes(2 * CS));
  await unlink(join(r.dir, 'blobs', m.id.slice(0, 2), m.id, chunkName(1)));
  const got = await drain(await r.store.read(m.id));
  t.ok(got.err instanceof HoardError && got.err.code === 'CHUNK_CORRUPT');
  t.same(r.copies.reports[0]?.chunks, [1]);
});

t.test('the verified cache: hot reads skip the hash; any write to the file (even with mtime put back) is caught', async (t) => {
  const r = await rig(t);
  const data = randomBytes(2 * CS);
  const { manifest: m } = await store(r.store, data);
  await collect(await r.store.read(m.id));
  t.same(r.checks, { verified: 2, cached: 0, bad: 0 }, 'first read hashes each chunk');
  await collect(await r.store.read(m.id));
  await collect(await r.store.read(m.id, 10, 20));
  t.same(r.checks, { verified: 2, cached: 3, bad: 0 }, 'later reads trust the cache');
  await flipChunkByte(r.dir, m.id, 0, 0, true);
  await t.rejects(r.store.read(m.id), { code: 'CHUNK_CORRUPT' }, 'ctime changed: checked again and caught');
});

t.test('with a zero TTL every read hashes', async (t) => {
  const r = await rig(t, { ttlS: 0 });
  const { manifest: m } = await store(r.store, randomBytes(CS));
  await collect(await r.store.read(m.id));
  await collect(await r.store.read(m.id));
  t.same(r.checks, { verified: 2, cached: 0, bad: 0 });
});

t.test('scrub: reads every chunk regardless of the cache, withdraws and reports bad copies, resends missed reports', async (t) => {
  const r = await rig(t);
  const good = await store(r.store, randomBytes(3 * CS));
  const bad = await store(r.store, randomBytes(2 * CS + 5));
  await collect(await r.store.read(good.manifest.id));
  // Rot below the file system: the cache would still vouch for it; the scrub must not care.
  await flipChunkByte(r.dir, bad.manifest.id, 2, 1, true);
  r.copies.setDown(true);
  const report = await r.workers.run('scrub');
  t.match(report, { blobs: 2, chunks: 6, bytes: 5 * CS + 5, badBlobs: 1, badChunks: 1, reportsResent: 0 });
  t.equal(await r.store.get(bad.manifest.id), undefined, 'bad copy withdrawn even with the tracker away');
  t.equal(r.integrity.corruption.pending, 1, 'the report is owed');
  r.copies.setDown(false);
  const again = await r.workers.run('scrub');
  t.match(again, { blobs: 1, badChunks: 0, reportsResent: 1 });
  t.same(r.copies.reports, [{ nodeId: 'node-a', blobId: bad.manifest.id, chunks: [2], source: 'scrub' }]);
  t.ok((await collect(await r.store.read(good.manifest.id))).length === 3 * CS, 'the good copy still reads');
});

t.test('the scrub rate limit holds the average', async (t) => {
  const take = rateLimiter(2 << 20);
  const started = performance.now();
  for (let i = 0; i < 8; i++) await take(512 * 1024);
  const s = (performance.now() - started) / 1000;
  // 4 MiB at 2 MiB/s with a one-second burst: about one second.
  t.ok(s > 0.8 && s < 3, `4 MiB at 2 MiB/s took ${s.toFixed(2)} s`);
});

t.test('orphans: unknown copies go after the grace period; held, unlisted and young ones stay', async (t) => {
  const r = await rig(t, { orphanGraceMs: 150 });
  const held = (await store(r.store, randomBytes(100))).manifest.id;
  const unlisted = (await store(r.store, randomBytes(101))).manifest.id;
  const orphan = (await store(r.store, randomBytes(102))).manifest.id;
  r.copies.states[held] = 'held';
  r.copies.states[unlisted] = 'unlisted';
  const first = await r.workers.run('orphans');
  t.match(first, { checked: 3, unknown: 1, waiting: 1, reclaimed: 0 });
  t.ok(await r.store.has(orphan), 'not before the grace period');
  await new Promise((res) => setTimeout(res, 200));
  const second = await r.workers.run('orphans');
  t.match(second, { unknown: 1, reclaimed: 1, bytes: 102 });
  t.equal(await r.store.has(orphan), false);
  t.ok((await r.store.has(held)) && (await r.store.has(unlisted)), 'copies the tracker knows stay');
});

t.test('orphans: a tracker that knows almost nothing gets no copy deleted', async (t) => {
  const r = await rig(t);
  for (let i = 0; i < 12; i++) await store(r.store, randomBytes(50 + i));
  await t.rejects(r.workers.run('orphans'), /refusing to reclaim/);
  t.equal(r.store.count(), 12);
});

t.test('internal routes: cluster credential, list, stat, verify, and removal only of copies the tracker does not know', async (t) => {
  const r = await rig(t);
  const server = r.server;
  const port = await listen(server, 0, '127.0.0.1');
  t.teardown(() => new Promise<void>((res) => { server.closeAllConnections(); server.close(() => res()); }));
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown, auth = true) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = text ? { 'content-type': 'application/json' } : {};
    if (auth) headers[AUTH_HEADER] = clusterAuth(SECRET, method, path, Date.now(), text);
    const res = await request(base + path, { method: method as 'GET', headers, body: text, reset: true });
    const out = await res.body.text();
    return { status: res.statusCode, json: out ? (JSON.parse(out) as Record<string, unknown>) : {} };
  };
  const a = await store(r.store, randomBytes(2 * CS));
  const b = await store(r.store, randomBytes(10));
  const ids = [a.manifest.id, b.manifest.id].sort();

  t.equal((await call('GET', '/internal/blobs', undefined, false)).status, 401, 'no credential');
  const forged = await request(`${base}/internal/blobs`, { headers: { [AUTH_HEADER]: clusterAuth('another-secret-0123456789', 'GET', '/internal/blobs') } });
  t.equal(forged.statusCode, 401, 'wrong secret');
  await forged.body.dump();
  const list = await call('GET', '/internal/blobs?limit=1');
  t.same((list.json.blobs as { id: string }[]).map((x) => x.id), [ids[0]]);
  const rest = await call('GET', `/internal/blobs?after=${ids[0]}`);
  t.same((rest.json.blobs as { id: string }[]).map((x) => x.id), [ids[1]]);
  t.match((await call('GET', `/internal/blobs/${a.manifest.id}`)).json, { id: a.manifest.id, size: 2 * CS, chunks: 2 });
  t.equal((await call('GET', `/internal/blobs/${'e'.repeat(64)}`)).status, 404);
  t.match((await call('POST', `/internal/blobs/${a.manifest.id}/verify`, {})).json, { id: a.manifest.id, chunks: 2, bad: [] });

  r.copies.states[a.manifest.id] = 'held';
  const refused = await call('DELETE', `/internal/blobs/${a.manifest.id}`);
  t.equal(refused.status, 409, 'the tracker still lists it');
  t.match(refused.json, { error: { code: 'COPY_IN_USE' } });
  t.ok(await r.store.has(a.manifest.id));
  const young = await call('DELETE', `/internal/blobs/${b.manifest.id}?minAge=3600`);
  t.equal(young.status, 409, 'younger than minAge');
  r.copies.setDown(true);
  t.equal((await call('DELETE', `/internal/blobs/${b.manifest.id}`)).status, 502, 'no answer from the tracker: nothing removed');
  r.copies.setDown(false);
  t.same((await call('DELETE', `/internal/blobs/${b.manifest.id}`)).json, { removed: true });
  t.equal(await r.store.has(b.manifest.id), false);
  t.same((await call('DELETE', `/internal/blobs/${b.manifest.id}`)).json, { removed: false });

  // A dropped or extra copy (the blob is known, this node is not listed): only with unlisted=1; a listed copy never.
  const c = await store(r.store, randomBytes(20));
  r.copies.states[c.manifest.id] = 'unlisted';
  t.equal((await call('DELETE', `/internal/blobs/${c.manifest.id}`)).status, 409, 'unlisted copies stay unless asked for');
  t.equal((await call('DELETE', `/internal/blobs/${a.manifest.id}?unlisted=1`)).status, 409, 'a listed copy stays even with unlisted=1');
  t.equal((await call('DELETE', `/internal/blobs/${c.manifest.id}?unlisted=yes`)).status, 400);
  t.same((await call('DELETE', `/internal/blobs/${c.manifest.id}?unlisted=1`)).json, { removed: true });
  t.equal(await r.store.has(c.manifest.id), false);

  t.equal((await call('POST', '/internal/workers/nope/run', {})).status, 404);
  const run = await call('POST', '/internal/workers/scrub/run', {});
  t.match(run.json, { blobs: 1, badChunks: 0 });
  const status = await call('GET', '/internal/workers');
  t.ok(Array.isArray(status.json) && (status.json as unknown as { name: string }[]).some((w) => w.name === 'scrub'));

  // copy-from: from a signed URL on this same node (a stand-in for another node), verified on arrival.
  const data = randomBytes(CS + 3);
  const src = await store(r.store, data);
  const url = signUrl(SECRET, `${base}/blob/${src.manifest.id}`, { verb: 'GET', resource: src.manifest.id, exp: Math.floor(Date.now() / 1000) + 60, extra: '' });
  t.match((await call('POST', `/internal/blobs/${src.manifest.id}/copy-from`, { source: url, manifest: src.manifest })).json, { created: false }, 'already held');
  await r.store.quarantine(src.manifest.id);
  const otherId = sha256(randomBytes(8));
  const wrong = await call('POST', `/internal/blobs/${otherId}/copy-from`, { source: url, manifest: { ...src.manifest, id: otherId, sha256: otherId } });
  t.equal(wrong.status, 502, 'a source that does not hold it');
  t.same(await readdir(join(r.dir, 'tmp')), [], 'nothing left from a failed copy');
  const metrics = await request(`${base}/metrics`, { headers: metricsAuth(SECRET) });
  const text = await metrics.body.text();
  t.match(text, /hoard_scrub_chunks_total \d+/);
  t.match(text, /hoard_http_request_duration_seconds_bucket\{[^}]*route="\/internal\/blobs\/:id[^"]*"/, "internal blob calls are labelled by their route");
});
