// The tracker's integrity and space work in-process: link deletion, GC after
// the grace period, bad-copy reports and their repair, fsck, the worker and
// metrics routes. Nodes are stand-ins (nodeApi) that record what they are asked.
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import t from 'tap';
import { request } from 'undici';
import type { BlobVerifyAnswer, CopyFromRequest, FsckReport, NodeBlobEntry } from '../../../../common/protocol/integrity.js';
import { AUTH_HEADER } from '../../../../common/protocol/routes.js';
import { type BlobManifest } from '../../../../common/protocol/types.js';
import { clusterAuth } from '../../../../common/sign.js';
import { composeTracker } from '../../../../tracker/compose.js';
import { trackerSpec, type TrackerConfig } from '../../../../tracker/config.js';
import { changeHolders, deleteBlob, deleteLink, markCopyBad, restoreCopy } from '../../../../tracker/meta/operations.js';
import type { NodeApi } from '../../../../tracker/cluster/node-client.js';
import { runFsck } from '../../../../tracker/replication/fsck.js';

const SECRET = 'test-secret-0123456789';
const GiB = 1024 ** 3;
const GRACE_S = 100;
let clock = Date.parse('2025-01-01T00:00:00Z');
const now = () => clock;

/** What the stand-in nodes hold and were asked. */
const disks = new Map<string, Map<string, NodeBlobEntry>>();
const calls: string[] = [];
let copyFails = false;
const fakeNode = (nodeId: string): NodeApi => {
  const disk = () => disks.get(nodeId) ?? disks.set(nodeId, new Map()).get(nodeId)!;
  return {
    async list(after, limit) {
      return [...disk().values()].filter((e) => after === undefined || e.id > after).sort((a, b) => (a.id < b.id ? -1 : 1)).slice(0, limit);
    },
    async stat(id) {
      return disk().get(id);
    },
    async remove(id) {
      calls.push(`remove ${nodeId} ${id.slice(0, 8)}`);
      const b = await store.blobs.get(id);
      if (b) return { inUse: 'known' };
      return { removed: disk().delete(id) };
    },
    async verify(id): Promise<BlobVerifyAnswer | undefined> {
      calls.push(`verify ${nodeId} ${id.slice(0, 8)}`);
      const e = disk().get(id);
      const b = await store.blobs.get(id);
      return e && { id, chunks: e.chunks, bytes: e.size, bad: [], size: e.size, md5: b?.md5 ?? '', sha256: id, chunkSize: 65536 };
    },
    async copyFrom(id, req: CopyFromRequest) {
      calls.push(`copy ${nodeId} ${id.slice(0, 8)} from ${new URL(req.source).pathname.split('/')[1]}`);
      if (copyFails) throw new Error('source broke');
      const size = req.manifest.size;
      disk().set(id, { id, size, chunks: req.manifest.chunks.length, mtime: new Date(clock).toISOString() });
      return { id, created: true, size, bytes: size, ms: 1 };
    },
  };
};

const log = pino({ level: 'silent' });
const defaults = Object.fromEntries(Object.entries(trackerSpec).map(([k, f]) => [k, f.default])) as unknown as TrackerConfig;
const config: TrackerConfig = Object.freeze({
  ...defaults,
  data: t.testdir(), port: 0, host: '127.0.0.1', publicUrl: '', secret: SECRET, urlTtl: 600, nodeDownAfter: 6_000, maxUploadSize: 100 * GiB,
  uploadMargin: 0, gcSchedule: '0 0 1 1 *', gcGrace: GRACE_S, repairSchedule: '0 0 1 1 *', fsckSchedule: '0 0 1 1 *',
  // One copy wanted: the repair worker's scans then leave the single-copy blobs of the other tests alone.
  replicas: 1,
});
const tracker = await composeTracker(config, { log, now, random: () => 0.5, nodeApi: (n) => fakeNode(n.id) });
const { ctx } = tracker;
const { store, committer, topology } = ctx;
const port = await tracker.listen();
const base = `http://127.0.0.1:${port}`;
t.teardown(() => tracker.close());

async function call(method: string, path: string, opts: { body?: unknown; auth?: boolean | string } = {}) {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
  if (opts.auth === true) headers[AUTH_HEADER] = clusterAuth(SECRET, method, path, Date.now(), body);
  else if (typeof opts.auth === 'string') headers[AUTH_HEADER] = opts.auth;
  const res = await request(base + path, { method: method as 'GET', headers, body, reset: true });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json: json as Record<string, unknown> };
}

const hex = (algo: string, s: string) => createHash(algo).update(s).digest('hex');
function manifest(seed: string, size: number): BlobManifest {
  const sha256 = hex('sha256', seed);
  return { id: sha256, md5: hex('md5', seed), sha256, size, chunkSize: 65536, chunks: [{ size, sha256: hex('sha256', seed + 0) }] };
}

/** Registers live nodes (heartbeat now). */
async function nodes(...ids: string[]): Promise<void> {
  for (const id of ids) await topology.register({ id, zone: `z-${id}`, publicUrl: `http://${id}.invalid`, freeBytes: 50 * GiB, totalBytes: 100 * GiB });
}

/** A blob committed to `holders` (the first commits, the rest are added), with its bytes on the stand-in disks. */
async function blob(seed: string, holders: string[], size = 1000): Promise<{ id: string; md5: string; link: string }> {
  const m = manifest(seed, size);
  const out = await committer.commit(holders[0]!, `${seed}.bin`, m);
  if (holders.length > 1) await changeHolders(store, m.id, { set: holders });
  for (const h of holders) {
    const disk = disks.get(h) ?? disks.set(h, new Map()).get(h)!;
    disk.set(m.id, { id: m.id, size, chunks: 1, mtime: new Date(clock).toISOString() });
  }
  return { id: m.id, md5: m.md5, link: out.link.id };
}

t.beforeEach(() => {
  calls.length = 0;
  copyFails = false;
});

t.test('DELETE /api/links/<id> needs the credential; the link stops resolving at once, the bytes stay until GC', async (t) => {
  await nodes('n1', 'n2');
  const b = await blob('del', ['n1', 'n2']);
  const second = await committer.commit('n1', 'again.bin', manifest('del', 1000));
  const path = `/api/links/${b.link}`;
  t.equal((await call('DELETE', path)).status, 401, 'no credential');
  t.equal((await call('DELETE', path, { auth: clusterAuth(SECRET, 'DELETE', '/api/links/other-other-other-1') })).status, 401, 'credential for another link');
  t.equal((await call('DELETE', '/api/links/AAAAAAAAAAAAAAAAAAAAAA', { auth: true })).status, 404, 'unknown link');
  const one = await call('DELETE', path, { auth: true });
  t.equal(one.status, 200);
  t.same(one.json, { id: b.link, blob: b.id, refs: 1 });
  t.equal((await call('GET', `/f/${b.link}`)).status, 404, '/f/ no longer resolves it');
  t.equal((await call('DELETE', path, { auth: true })).status, 404, 'second delete');
  t.equal((await call('GET', `/f/${second.link.id}`)).status, 302, 'the other link still works');
  const last = await call('DELETE', `/api/links/${second.link.id}`, { auth: true });
  t.match(last.json, { refs: 0, gcAfter: new Date(clock + GRACE_S * 1000).toISOString() });
  t.ok(await store.blobs.get(b.id), 'blob record kept during the grace period');
  await deleteBlob(store, b.id);
});

t.test('gc: nothing before the grace period; then the record, and every holder\'s copy, including bad ones', async (t) => {
  await nodes('n1', 'n2', 'n3');
  const b = await blob('gc', ['n1', 'n2', 'n3']);
  const keep = await blob('gc-keep', ['n1']);
  await markCopyBad(store, { blobId: b.id, nodeId: 'n3', chunks: [0], source: 'scrub', reported: 'x' });
  await deleteLink(store, b.link, new Date(clock).toISOString());
  clock += (GRACE_S - 1) * 1000;
  await nodes('n1', 'n2', 'n3');
  t.match(await ctx.workers.run('gc'), { scanned: 1, waiting: 1, deleted: 0 });
  t.same(calls, []);
  clock += 10_000;
  await nodes('n1', 'n3'); // n2 stays silent: down
  const r = await ctx.workers.run('gc');
  t.match(r, { deleted: 1, copiesRemoved: 2, copiesLeft: 1, bytesFreed: 2000 });
  t.same(calls.sort(), [`remove n1 ${b.id.slice(0, 8)}`, `remove n3 ${b.id.slice(0, 8)}`]);
  t.equal(await store.blobs.get(b.id), undefined, 'record gone');
  t.ok(disks.get('n2')!.has(b.id), 'the down node keeps an orphan for its own reclaim');
  t.ok(await store.blobs.get(keep.id), 'a linked blob is untouched');
  t.match(await ctx.workers.run('gc'), { scanned: 0, deleted: 0 }, 'idempotent');
});

t.test('a new link during the grace period saves the blob', async (t) => {
  await nodes('n1');
  const b = await blob('saved', ['n1']);
  await deleteLink(store, b.link, new Date(clock).toISOString());
  await committer.commit('n1', 'saved-again.bin', manifest('saved', 1000));
  clock += GRACE_S * 2000;
  await nodes('n1');
  t.match(await ctx.workers.run('gc'), { deleted: 0 });
  t.ok(await store.blobs.get(b.id));
});

t.test('a bad copy: off the holders at once, so /f/ sends readers elsewhere; repaired from a good copy', async (t) => {
  await nodes('m1', 'm2');
  const b = await blob('bad', ['m1', 'm2']);
  const body = { nodeId: 'm1', blobId: b.id, chunks: [0], source: 'scrub' };
  t.equal((await call('POST', '/internal/copies/bad', { body })).status, 401, 'credential required');
  t.equal((await call('POST', '/internal/copies/bad', { body: { ...body, source: 'rumour' }, auth: true })).status, 400);
  t.equal((await call('POST', '/internal/copies/bad', { body: { ...body, nodeId: 'ghost' }, auth: true })).status, 404);
  const r = await call('POST', '/internal/copies/bad', { body, auth: true });
  t.same(r.json, { recorded: true });
  t.same((await store.blobs.get(b.id))?.nodes, ['m2']);
  for (let i = 0; i < 5; i++) {
    const f = await call('GET', `/f/${b.link}`);
    t.match(String(f.headers.location), /^http:\/\/m2\.invalid\//, 'redirect to the good copy only');
  }
  const held = await call('POST', '/internal/copies/held', { body: { nodeId: 'm1', ids: [b.id, 'e'.repeat(64)] }, auth: true });
  t.same(held.json, { copies: { [b.id]: 'unlisted', ['e'.repeat(64)]: 'unknown' } });
  const metrics = await call('GET', '/metrics', { auth: true });
  t.match(metrics.text, /hoard_repair_backlog\{kind="bad_copy"\} 1/);
  t.match(metrics.text, /hoard_bad_copies_reported_total\{source="scrub"\} 1/);

  copyFails = true;
  t.match(await ctx.workers.run('repair'), { badCopies: 1, repaired: 0, copyFailures: 1, badLeft: 1 });
  t.same((await store.blobs.get(b.id))?.nodes, ['m2'], 'a failed copy changes nothing');
  copyFails = false;
  const fixed = await ctx.workers.run('repair');
  t.match(fixed, { badCopies: 1, repaired: 1, badLeft: 0 });
  t.same(calls.filter((c) => c.startsWith('copy')), [`copy m1 ${b.id.slice(0, 8)} from blob`, `copy m1 ${b.id.slice(0, 8)} from blob`]);
  t.same((await store.blobs.get(b.id))?.nodes.sort(), ['m1', 'm2']);
  t.same(await store.badCopies.list({ limit: 10 }), []);
  t.match((await call('GET', '/metrics', { auth: true })).text, /hoard_copy_repairs_total\{result="ok"\} 1/);
});

t.test('repair waits while the bad node is down or no good copy is live', async (t) => {
  await nodes('w1', 'w2');
  const b = await blob('wait', ['w1', 'w2']);
  await markCopyBad(store, { blobId: b.id, nodeId: 'w1', chunks: [0], source: 'read', reported: 'x' });
  clock += 10_000;
  await nodes('w2');
  t.match(await ctx.workers.run('repair'), { badCopies: 1, badWaiting: 1, repaired: 0 }, 'the bad node is down');
  await nodes('w1');
  await markCopyBad(store, { blobId: b.id, nodeId: 'w2', chunks: [0], source: 'read', reported: 'x' });
  t.match(await ctx.workers.run('repair'), { badCopies: 2, badWaiting: 2, repaired: 0 }, 'no good copy is live');
  t.same((await store.blobs.get(b.id))?.nodes, [], 'no holder left: /f/ answers NO_LIVE_COPY rather than bad bytes');
  t.equal((await call('GET', `/f/${b.link}`)).status, 503);
  await restoreCopy(store, b.id, 'w2');
  await restoreCopy(store, b.id, 'w1');
});

t.test('fsck reports each kind of difference and --repair fixes what it can', async (t) => {
  clock += 60_000;
  await nodes('f1', 'f2');
  for (const n of topology.list()) if (!['f1', 'f2'].includes(n.id)) disks.delete(n.id);
  const listed = await blob('fsck-ok', ['f1', 'f2']);
  const missing = await blob('fsck-missing', ['f1', 'f2']);
  disks.get('f2')!.delete(missing.id);
  const unlisted = await blob('fsck-unlisted', ['f1']);
  disks.get('f2')!.set(unlisted.id, { id: unlisted.id, size: 1000, chunks: 1, mtime: new Date(clock).toISOString() });
  const orphan = 'a'.repeat(64);
  disks.get('f1')!.set(orphan, { id: orphan, size: 5, chunks: 1, mtime: new Date(clock).toISOString() });

  const report = (await call('POST', '/internal/admin/fsck', { auth: true })).json as unknown as FsckReport;
  const mine = report.findings.filter((f) => !f.node || ['f1', 'f2'].includes(f.node));
  const kinds = mine.filter((f) => f.kind !== 'unreachable').map((f) => `${f.kind} ${f.node} ${f.blob?.slice(0, 8)}`).sort();
  t.same(kinds, [`missing f2 ${missing.id.slice(0, 8)}`, `unknown f1 ${orphan.slice(0, 8)}`, `unlisted f2 ${unlisted.id.slice(0, 8)}`].sort());
  t.equal(report.repair, false);
  t.ok(report.findings.some((f) => f.kind === 'unreachable'), 'nodes of earlier tests are down: reported, not checked');

  const fixed = await runFsck(ctx, { repair: true, minOrphanAgeS: 0 });
  const acted = Object.fromEntries(fixed.findings.filter((f) => f.action).map((f) => [f.kind, f.action]));
  t.same(acted, { missing: 'no longer listed as a holder', unknown: 'copy deleted', unlisted: 'verified copy listed as a holder' });
  t.same((await store.blobs.get(missing.id))?.nodes, ['f1']);
  t.same((await store.blobs.get(unlisted.id))?.nodes.sort(), ['f1', 'f2']);
  t.notOk(disks.get('f1')!.has(orphan));
  t.ok(calls.includes(`verify f2 ${unlisted.id.slice(0, 8)}`), 'an unlisted copy is verified before it counts');
  const again = await runFsck(ctx, { repair: false });
  t.same(again.findings.filter((f) => f.node && ['f1', 'f2'].includes(f.node)), [], 'clean afterwards');
  t.ok((await store.blobs.get(listed.id))?.nodes.length === 2);
  t.match(await ctx.workers.run('fsck'), { nodesChecked: 2 });
});

t.test('worker routes: status and run; unknown names are 404', async (t) => {
  t.equal((await call('GET', '/internal/admin/workers')).status, 401);
  const list = await call('GET', '/internal/admin/workers', { auth: true });
  t.same((list.json as unknown as { name: string }[]).map((w) => w.name), ['replicate', 'repair', 'reconcile', 'rebalance', 'gc', 'fsck', 'takedown-purge']);
  const run = await call('POST', '/internal/admin/workers/gc/run', { auth: true });
  t.equal(run.status, 200);
  t.ok(typeof run.json.scanned === 'number');
  t.equal((await call('POST', '/internal/admin/workers/nope/run', { auth: true })).status, 404);
  t.equal((await call('GET', '/internal/admin/workers/gc/run', { auth: true })).status, 405);
  const m = await call('GET', '/metrics', { auth: true });
  t.equal(m.status, 200);
  t.match(String(m.headers['content-type']), /text\/plain/);
  for (const name of ['hoard_uploads_total', 'hoard_dedup_hits_total', 'hoard_early_stops_total', 'hoard_blobs_under_replicated', 'hoard_gc_blobs_deleted_total', 'hoard_http_request_duration_seconds_bucket', 'hoard_bytes_out_total']) {
    t.match(m.text, new RegExp(`^${name}`, 'm'), `${name} exported`);
  }
});
