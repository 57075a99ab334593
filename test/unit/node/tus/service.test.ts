// The node's resumable uploads without HTTP: creation under the one admission
// check, writers kept between requests and rebuilt after a restart, publish
// and commit at the end, the early stop, expiry and removal.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { KeyedLock } from '../../../../common/keyed-lock.js';
import type { CommitRequest, CommitResponse, CommitProvenRequest } from '../../../../common/protocol/types.js';
import type { TrackerApi } from '../../../../node/cluster/tracker-client.js';
import type { ChunkStore } from '../../../../node/store/chunk-store.js';
import { FileChunkStore } from '../../../../node/store/file-chunk-store.js';
import { TusService } from '../../../../node/tus/service.js';
import { TusStateStore } from '../../../../node/tus/state.js';
import { UploadAdmission } from '../../../../node/upload/admission.js';
import { UploadPublisher } from '../../../../node/upload/publish.js';
import { silent, standInTracker } from '../rig.js';
import { NodeTakedowns } from '../../../../node/cluster/takedowns.js';

const CS = 64 * 1024;
const ID = (n: number) => `upload-${String(n).padStart(15, '0')}`; // 22 characters, as the tracker makes them
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

interface Options {
  /** Free bytes the disk reports (default: the real disk's). */
  freeBytes?: number;
  maxUploadSize?: number;
  commit?: (req: CommitRequest) => Promise<CommitResponse>;
  commitProven?: (req: CommitProvenRequest) => Promise<CommitResponse>;
  dir?: string;
  openCaps?: { total: number; perClient: number };
}

async function service(t: Test, opts: Options = {}) {
  const dir = opts.dir ?? t.testdir();
  const store = new FileChunkStore({ dir, chunkSize: CS });
  await store.open();
  const stand = standInTracker(opts.commit);
  const proven: CommitProvenRequest[] = [];
  const tracker: TrackerApi = {
    ...stand.api,
    commitProven: async (req) => {
      proven.push(req);
      if (!opts.commitProven) throw new Error('not proven');
      return opts.commitProven(req);
    },
  };
  const limits = { maxUploadSize: opts.maxUploadSize ?? 1 << 30, reserve: 0, minUploadRate: 0, rateWindowMs: 30_000 };
  const disk: Pick<ChunkStore, 'space'> = opts.freeBytes === undefined ? store : { space: async () => ({ freeBytes: opts.freeBytes!, totalBytes: 2 * opts.freeBytes! }) };
  const admission = new UploadAdmission({ store: disk, limits });
  const publisher = new UploadPublisher({ nodeId: 'node-a', store, tracker, takedowns: new NodeTakedowns(), locks: new KeyedLock(), log: silent });
  let clock = 1_000_000;
  const svc = new TusService({
    nodeId: 'node-a',
    store,
    states: new TusStateStore(store.resumableRoot),
    tracker,
    admission,
    publisher,
    pipeline: { nodeId: 'node-a', secret: 'not used', tracker, log: silent },
    limits,
    expiryMs: 60_000,
    openCaps: opts.openCaps ?? { total: 10_000, perClient: 0 },
    log: silent,
    now: () => clock,
  });
  await svc.load();
  return { svc, store, admission, commits: stand.commits, proven, dir, advance: (ms: number) => (clock += ms) };
}

async function append(svc: TusService, id: string, data: Buffer): Promise<void> {
  const live = svc.get(id);
  const w = await svc.writerFor(live);
  const wait = w.write(Buffer.from(data));
  if (wait) await wait;
  await w.flush();
  live.state.offset = w.bytes;
  await svc.persist(live);
}

t.test('create, append across requests, and the last byte publishes and commits', async (t) => {
  const s = await service(t);
  const data = randomBytes(3 * CS + 5);
  const state = await s.svc.create({ uploadId: ID(1), filename: 'a.bin', length: data.length });
  t.match(state, { uploadId: ID(1), offset: 0, length: data.length, expires: 1_000_000 + 60_000 });
  await append(s.svc, ID(1), data.subarray(0, CS + 1));
  await append(s.svc, ID(1), data.subarray(CS + 1));
  const live = s.svc.get(ID(1));
  const result = await s.svc.complete(live, await s.svc.writerFor(live));
  t.match(result, { sha256: sha256(data), md5: md5(data), size: data.length, dedup: false });
  t.match(s.commits, [{ nodeId: 'node-a', filename: 'a.bin', uploadId: ID(1) }], 'committed under its upload id');
  t.equal(live.state.offset, data.length);
  t.same(live.state.result, result, 'the answer is kept for the HEAD that follows');
  t.ok(await s.store.has(sha256(data)), 'published on disk');
  t.same(await s.store.listResumable(), [], 'its resumable folder became the blob');
});

t.test('an empty upload is complete once created', async (t) => {
  const s = await service(t);
  const state = await s.svc.create({ uploadId: ID(2), filename: 'empty', length: 0 });
  t.match(state.result, { size: 0, sha256: sha256(Buffer.alloc(0)) });
  t.equal(s.commits.length, 1);
});

t.test('creation refusals: an id in use, over the upload limit', async (t) => {
  const s = await service(t, { maxUploadSize: 1000 });
  await s.svc.create({ uploadId: ID(3), filename: 'a', length: 10 });
  await t.rejects(s.svc.create({ uploadId: ID(3), filename: 'b', length: 10 }), { code: 'BAD_REQUEST' });
  await t.rejects(s.svc.create({ uploadId: ID(4), filename: 'big', length: 1001 }), { code: 'PAYLOAD_TOO_LARGE', status: 413 });
  t.throws(() => s.svc.get(ID(4)), { code: 'UPLOAD_NOT_FOUND' }, 'nothing was opened');
});

t.test('creation counts the space promised to PUTs and to open tus uploads', async (t) => {
  const s = await service(t, { freeBytes: 1000 });
  const put = s.admission.claim(() => 600);
  await t.rejects(s.svc.create({ uploadId: ID(5), filename: 'a', length: 500 }), { code: 'INSUFFICIENT_STORAGE', status: 507 }, 'a PUT in flight holds 600 of the 1000 free bytes');
  put.release();
  await s.svc.create({ uploadId: ID(5), filename: 'a', length: 500 });
  t.equal(s.admission.promised(), 500, 'an open upload promises its length');
  await t.rejects(s.svc.create({ uploadId: ID(6), filename: 'b', length: 600 }), { code: 'INSUFFICIENT_STORAGE' }, 'another upload cannot count on those bytes');
  await append(s.svc, ID(5), randomBytes(300));
  t.equal(s.admission.promised(), 200, 'bytes received are no longer promised');
  await s.svc.create({ uploadId: ID(6), filename: 'b', length: 600 });
  await s.svc.remove(s.svc.get(ID(5)));
  t.equal(s.admission.promised(), 600, 'a removed upload promises nothing');
});

t.test('unfinished uploads are capped per client and in all; finished ones do not count', async (t) => {
  const s = await service(t, { openCaps: { total: 3, perClient: 2 } });
  await s.svc.create({ uploadId: ID(40), filename: 'a', length: 10, client: '192.0.2.1' });
  await s.svc.create({ uploadId: ID(41), filename: 'a', length: 10, client: '192.0.2.1' });
  await t.rejects(s.svc.create({ uploadId: ID(42), filename: 'a', length: 10, client: '192.0.2.1' }), { code: 'TOO_MANY_UPLOADS', status: 429 }, 'a third for one client');
  t.throws(() => s.svc.get(ID(42)), { code: 'UPLOAD_NOT_FOUND' }, 'nothing was opened');
  await s.svc.create({ uploadId: ID(43), filename: 'a', length: 10, client: '2001:db8:0:1::/64' });
  await t.rejects(s.svc.create({ uploadId: ID(44), filename: 'a', length: 10, client: '2001:db8:0:2::/64' }), { code: 'TOO_MANY_OPEN_UPLOADS', status: 503 }, 'three open in all');
  await append(s.svc, ID(40), randomBytes(10));
  const done = s.svc.get(ID(40));
  await s.svc.complete(done, await s.svc.writerFor(done));
  t.ok(s.svc.get(ID(40)).state.result, 'one finished (and still kept, for HEAD)');
  await s.svc.create({ uploadId: ID(46), filename: 'a', length: 10, client: '192.0.2.1' });
  t.pass('its place is free again, for its client too');
  const parallel = await Promise.allSettled([47, 48, 49].map((n) => s.svc.create({ uploadId: ID(n), filename: 'a', length: 10, client: '192.0.2.7' })));
  t.equal(parallel.filter((p) => p.status === 'fulfilled').length, 0, 'concurrent creations cannot slip past the cap in all');
});

t.test('finished uploads kept for HEAD are bounded: the oldest is forgotten, state file included', async (t) => {
  const s = await service(t, { openCaps: { total: 2, perClient: 0 } });
  for (const n of [50, 51, 52]) {
    await s.svc.create({ uploadId: ID(n), filename: 'a', length: 10 });
    await append(s.svc, ID(n), randomBytes(10));
    const live = s.svc.get(ID(n));
    await s.svc.complete(live, await s.svc.writerFor(live));
  }
  await new Promise((r) => setTimeout(r, 50));
  t.throws(() => s.svc.get(ID(50)), { code: 'UPLOAD_NOT_FOUND' }, 'the oldest finished upload is forgotten');
  t.ok(s.svc.get(ID(51)).state.result && s.svc.get(ID(52)).state.result, 'the last two still answer');
  t.equal(s.svc.size, 2, 'two held in memory');
  const again = await service(t, { dir: s.dir, openCaps: { total: 2, perClient: 0 } });
  t.equal(again.svc.size, 2, 'and after a restart: its state file went with it');
});

t.test('unknown and expired uploads; activity moves the expiry on', async (t) => {
  const s = await service(t);
  t.throws(() => s.svc.get(ID(7)), { code: 'UPLOAD_NOT_FOUND', status: 404 });
  await s.svc.create({ uploadId: ID(7), filename: 'a', length: 10 });
  s.advance(59_000);
  s.svc.touch(s.svc.get(ID(7)));
  s.advance(59_000);
  t.ok(s.svc.get(ID(7)), 'still there: touched a minute ago');
  s.advance(1_000);
  t.throws(() => s.svc.get(ID(7)), { code: 'UPLOAD_EXPIRED', status: 410 });
});

t.test('a restart keeps states and bytes, drops folders without a state, and rehashes', async (t) => {
  const dir = t.testdir();
  const data = randomBytes(2 * CS + 77);
  const first = await service(t, { dir });
  await first.svc.create({ uploadId: ID(8), filename: 'kept.bin', length: data.length });
  await append(first.svc, ID(8), data.subarray(0, CS + 10));
  await first.svc.close();
  await first.store.close();
  await mkdir(join(first.store.resumableRoot, 'debris-without-state'));

  const second = await service(t, { dir });
  t.same(await second.store.listResumable(), [ID(8)], 'debris removed, the upload kept');
  const live = second.svc.get(ID(8));
  t.equal(live.state.offset, CS + 10);
  await append(second.svc, ID(8), data.subarray(CS + 10));
  const result = await second.svc.complete(live, await second.svc.writerFor(live));
  t.equal(result.sha256, sha256(data), 'the hashes rebuilt from disk end right');
});

t.test('a failed commit forgets the upload and its bytes: the client starts over', async (t) => {
  const s = await service(t, { commit: () => Promise.reject(new Error('tracker away')) });
  await s.svc.create({ uploadId: ID(9), filename: 'a', length: 100 });
  await append(s.svc, ID(9), randomBytes(100));
  const live = s.svc.get(ID(9));
  await t.rejects(s.svc.complete(live, await s.svc.writerFor(live)), { code: 'UPSTREAM_FAILED' });
  t.throws(() => s.svc.get(ID(9)), { code: 'UPLOAD_NOT_FOUND' });
  t.same(await s.store.listResumable(), []);
  t.equal(s.store.count(), 0, 'the published blob was taken back');
  t.equal(s.admission.promised(), 0);
});

t.test('the early stop: the tracker links the proven blob and nothing of the upload is kept', async (t) => {
  const link = { link: 'http://tracker/f/proven', id: 'proven', dedup: true, nodes: ['node-b'] };
  const s = await service(t, { commitProven: async () => link });
  const declared = { md5: '0'.repeat(32), sha256: 'a'.repeat(64) };
  await s.svc.create({ uploadId: ID(10), filename: 'dup.bin', length: 4 * CS, declared });
  await append(s.svc, ID(10), randomBytes(CS));
  const live = s.svc.get(ID(10));
  t.equal(await s.svc.stopEarly(live, await s.svc.writerFor(live)), true);
  t.same(s.proven, [{ uploadId: ID(10), nodeId: 'node-a', filename: 'dup.bin' }]);
  t.same(live.state.result, { link: link.link, id: 'proven', md5: declared.md5, sha256: declared.sha256, size: 4 * CS, dedup: true });
  t.equal(live.state.offset, 4 * CS, 'the client is told it is done');
  t.same(await readdir(join(s.store.resumableRoot, ID(10))).catch(() => []), [], 'its bytes are gone');
  t.equal(s.admission.promised(), 0);
});

t.test('an early stop the tracker refuses goes on in full; an undeclared upload never stops early', async (t) => {
  const s = await service(t);
  await s.svc.create({ uploadId: ID(11), filename: 'a', length: 2 * CS, declared: { md5: '0'.repeat(32), sha256: 'b'.repeat(64) } });
  await append(s.svc, ID(11), randomBytes(CS));
  const live = s.svc.get(ID(11));
  live.proven = { ok: true, blobId: 'b'.repeat(64), prefixes: [] };
  t.equal(await s.svc.stopEarly(live, await s.svc.writerFor(live)), false);
  t.equal(live.proven, undefined, 'the verdict is dropped');
  t.equal(live.state.result, undefined);
  await s.svc.create({ uploadId: ID(12), filename: 'b', length: 2 * CS });
  const plain = s.svc.get(ID(12));
  t.equal(await s.svc.stopEarly(plain, await s.svc.writerFor(plain)), false);
  t.equal(s.proven.length, 1, 'the tracker was asked only for the declared one');
});

t.test('expiry removes uploads past their time (not one a request is using) and reports the bytes', async (t) => {
  const s = await service(t);
  await s.svc.create({ uploadId: ID(13), filename: 'a', length: 3 * CS });
  await append(s.svc, ID(13), randomBytes(CS + 1));
  await s.svc.create({ uploadId: ID(14), filename: 'b', length: 10 });
  s.svc.get(ID(14)).busy = true;
  s.advance(60_000);
  t.same(await s.svc.expire(), { expired: 1, bytesFreed: CS + 1 });
  t.same(await s.store.listResumable(), []);
  t.equal(s.svc.size, 1, 'the busy one waits for its request to end');
});

t.test('removal frees the bytes and the state', async (t) => {
  const s = await service(t);
  await s.svc.create({ uploadId: ID(15), filename: 'a', length: 3 * CS });
  await append(s.svc, ID(15), randomBytes(2 * CS));
  t.equal(await s.svc.remove(s.svc.get(ID(15))), 2 * CS);
  t.throws(() => s.svc.get(ID(15)), { code: 'UPLOAD_NOT_FOUND' });
  t.same(await readdir(s.store.resumableRoot), []);
});
