// The last step of every upload: seal, publish on disk, commit at the
// tracker, drop a duplicate's fresh copy; under the blob's lock.
import { createHash, randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { KeyedLock } from '../../../../common/keyed-lock.js';
import { RemoteError } from '../../../../common/protocol/errors.js';
import type { CommitRequest, CommitResponse } from '../../../../common/protocol/types.js';
import { FileChunkStore } from '../../../../node/store/file-chunk-store.js';
import type { ChunkWriter } from '../../../../node/store/chunk-store.js';
import { UploadPublisher } from '../../../../node/upload/publish.js';
import { silent, standInTracker } from '../rig.js';
import { NodeTakedowns } from '../../../../node/cluster/takedowns.js';

const CS = 64 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const names = { filename: 'a.bin', uploadId: 'upload-000000000000001' };

async function rig(t: Test, commit?: (req: CommitRequest) => Promise<CommitResponse>) {
  const store = new FileChunkStore({ dir: t.testdir(), chunkSize: CS });
  await store.open();
  const tracker = standInTracker(commit);
  const locks = new KeyedLock();
  const takedowns = new NodeTakedowns();
  const publisher = new UploadPublisher({ nodeId: 'node-a', store, tracker: tracker.api, takedowns, locks, log: silent });
  const writerOf = async (data: Buffer): Promise<ChunkWriter> => {
    const w = await store.begin();
    const wait = w.write(Buffer.from(data));
    if (wait) await wait;
    return w;
  };
  return { store, publisher, locks, takedowns, commits: tracker.commits, writerOf };
}

t.test('publishes on disk, then commits with the manifest, the name and the upload id', async (t) => {
  const r = await rig(t);
  const data = randomBytes(2 * CS + 3);
  const result = await r.publisher.publishAndCommit(await r.writerOf(data), names);
  t.match(result, { id: 'link1', link: 'http://tracker/f/link1', sha256: sha256(data), size: data.length, dedup: false });
  t.equal(r.commits.length, 1);
  t.match(r.commits[0], { nodeId: 'node-a', filename: 'a.bin', uploadId: names.uploadId, manifest: { id: sha256(data), size: data.length } });
  t.ok(await r.store.has(sha256(data)), 'the blob was visible when the tracker was told');
});

t.test('a failed commit takes back the blob this upload published, and says UPSTREAM_FAILED', async (t) => {
  const r = await rig(t, () => Promise.reject(new RemoteError(503, 'UNAVAILABLE', 'restarting')));
  await t.rejects(r.publisher.publishAndCommit(await r.writerOf(randomBytes(100)), names), { code: 'UPSTREAM_FAILED', status: 502, message: /UNAVAILABLE|restarting/ });
  t.equal(r.store.count(), 0);
});

t.test('a failed commit keeps a copy that was already here (another upload published it)', async (t) => {
  let fail = false;
  const r = await rig(t, async (req) => {
    if (fail) throw new Error('tracker away');
    return { link: 'l', id: 'x', dedup: false, nodes: [req.nodeId] };
  });
  const data = randomBytes(CS + 9);
  await r.publisher.publishAndCommit(await r.writerOf(data), names);
  fail = true;
  await t.rejects(r.publisher.publishAndCommit(await r.writerOf(data), names), { code: 'UPSTREAM_FAILED' });
  t.ok(await r.store.has(sha256(data)), 'the earlier copy stays');
});

t.test('a duplicate held elsewhere: the fresh copy goes; held here: it stays', async (t) => {
  const elsewhere = await rig(t, async () => ({ link: 'l', id: 'old', dedup: true, nodes: ['node-b'] }));
  t.match(await elsewhere.publisher.publishAndCommit(await elsewhere.writerOf(randomBytes(50)), names), { dedup: true, id: 'old' });
  t.equal(elsewhere.store.count(), 0);
  const here = await rig(t, async () => ({ link: 'l', id: 'old', dedup: true, nodes: ['node-b', 'node-a'] }));
  await here.publisher.publishAndCommit(await here.writerOf(randomBytes(50)), names);
  t.equal(here.store.count(), 1, 'the tracker counts this node among the holders');
});

t.test('publish and commit wait for the blob lock (shared with copy removal and repair)', async (t) => {
  const r = await rig(t);
  const data = randomBytes(500);
  let release!: () => void;
  const held = r.locks.run(sha256(data), () => new Promise<void>((res) => (release = res)));
  const pending = r.publisher.publishAndCommit(await r.writerOf(data), names);
  await new Promise((res) => setTimeout(res, 50));
  t.equal(r.commits.length, 0, 'nothing published or committed while another holds the blob');
  t.equal(await r.store.has(sha256(data)), false);
  release();
  await held;
  await pending;
  t.equal(r.commits.length, 1);
});

t.test('a writer that fails to seal keeps nothing and commits nothing', async (t) => {
  const r = await rig(t);
  const w = await r.writerOf(randomBytes(100));
  await w.abort();
  await t.rejects(r.publisher.publishAndCommit(w, names));
  t.equal(r.commits.length, 0);
  t.equal(r.store.count(), 0);
});

t.test('a content the trackers took down is refused with 451 before anything is published or committed', async (t) => {
  const r = await rig(t);
  const data = randomBytes(CS + 5);
  r.takedowns.apply('http://tracker', { type: 'takedowns', reset: true, block: [{ kind: 'blob', id: sha256(data), ref: 'DMCA-7' }] });
  await t.rejects(r.publisher.publishAndCommit(await r.writerOf(data), names), { code: 'TAKEN_DOWN', status: 451, message: /DMCA-7/ });
  t.equal(r.commits.length, 0, 'the tracker was not asked');
  t.equal(r.store.count(), 0, 'nothing kept');
  r.takedowns.apply('http://tracker', { type: 'takedowns', lift: [{ kind: 'blob', id: sha256(data) }] });
  t.match(await r.publisher.publishAndCommit(await r.writerOf(data), names), { sha256: sha256(data) }, 'lifted: taken again');
});

t.test("the tracker's 451 on commit (a notice this node had not heard of) reaches the uploader as 451, and the blob goes", async (t) => {
  const r = await rig(t, () => Promise.reject(new RemoteError(451, 'TAKEN_DOWN', 'Unavailable for legal reasons: taken down under notice N-1')));
  await t.rejects(r.publisher.publishAndCommit(await r.writerOf(randomBytes(100)), names), { code: 'TAKEN_DOWN', status: 451, message: /^Unavailable.*N-1$/ });
  t.equal(r.store.count(), 0);
});
