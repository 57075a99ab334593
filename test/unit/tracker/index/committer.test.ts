import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { HoardError } from '../../../../common/protocol/errors.js';
import type { BlobManifest } from '../../../../common/protocol/types.js';
import { Committer } from '../../../../tracker/index/committer.js';
import { parseManifest } from '../../../../tracker/index/manifest.js';
import { checkUpload } from '../../../../tracker/index/upload-policy.js';
import { openMetaStore } from '../../../../tracker/meta/open.js';

const CHUNK = 64 * 1024;
const hex = (algo: string, s: string) => createHash(algo).update(s).digest('hex');
/** The upload policy's size check with this limit. */
const upTo = (max: number) => (size: number) => checkUpload({ maxUploadSize: max, uploadLimitAnonymous: 0, uploadLimitFree: 0, uploadLimitPremium: 0, downloadLimitFree: 0, storageQuotaFree: 0, storageQuotaPremium: 0 }, { kind: 'node' }, size);

function manifest(seed: string, size: number, md5 = hex('md5', seed)): BlobManifest {
  const sha256 = hex('sha256', seed);
  const n = Math.ceil(size / CHUNK);
  const chunks = Array.from({ length: n }, (_, i) => ({ size: i < n - 1 ? CHUNK : size - CHUNK * i, sha256: hex('sha256', seed + i) }));
  return { id: sha256, md5, sha256, size, chunkSize: CHUNK, chunks };
}

async function setup(t: Test, live: string[]) {
  const store = await openMetaStore('level:' + join(t.testdir(), 'meta'));
  t.teardown(() => store.close());
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const liveSet = new Set(live);
  const committer = new Committer({ store, log, refuse: async () => undefined, isLive: (id) => liveSet.has(id) });
  return { store, committer, lines, liveSet };
}

t.test('a new blob: record, MD5 entry, link', async (t) => {
  const { store, committer } = await setup(t, ['n1']);
  const m = manifest('hello', 200_000);
  const out = await committer.commit('n1', 'hello.txt', m);
  t.equal(out.dedup, false);
  t.same(out.blob.nodes, ['n1']);
  t.equal(out.blob.refs, 1);
  t.equal(out.blob.chunks, 4);
  t.match(out.link.id, /^[A-Za-z0-9_-]{22}$/);
  t.same(await store.links.get(out.link.id), out.link);
  t.equal(out.link.filename, 'hello.txt');
  t.same(await store.blobs.chunks(m.id), m.chunks);
  t.same((await store.blobs.byMd5(m.md5)).map((b) => b.id), [m.id]);
});

t.test('dedup: same content from another node with a live holder keeps the old copy only', async (t) => {
  const { store, committer } = await setup(t, ['n1', 'n2']);
  const m = manifest('dup', 1000);
  const a = await committer.commit('n1', 'a.bin', m);
  const b = await committer.commit('n2', 'b.bin', m);
  t.equal(b.dedup, true);
  t.same(b.blob.nodes, ['n1'], 'n2 is told to drop its copy');
  t.not(a.link.id, b.link.id);
  t.equal((await store.blobs.get(m.id))?.refs, 2);
  t.same(await store.counters(), { blobs: 1, links: 2, bytesStored: 1000, logicalBytes: 2000, uniqueBytes: 1000 });
});

t.test('dedup from the node that already holds it', async (t) => {
  const { committer } = await setup(t, ['n1']);
  const m = manifest('same-node', 10);
  await committer.commit('n1', 'a', m);
  const again = await committer.commit('n1', 'b', m);
  t.equal(again.dedup, true);
  t.same(again.blob.nodes, ['n1']);
});

t.test('dedup with no live holder adopts the committing node', async (t) => {
  const { store, committer, liveSet } = await setup(t, ['n1', 'n2']);
  const m = manifest('orphan', 500);
  await committer.commit('n1', 'a', m);
  liveSet.delete('n1');
  const b = await committer.commit('n2', 'b', m);
  t.equal(b.dedup, true);
  t.same(b.blob.nodes, ['n1', 'n2']);
  t.equal((await store.counters()).bytesStored, 1000);
});

t.test('same MD5, different SHA-256: two blobs, a warning', async (t) => {
  const { store, committer, lines } = await setup(t, ['n1']);
  const md5 = 'a'.repeat(32);
  const one = await committer.commit('n1', 'one', manifest('collide-1', 64, md5));
  const two = await committer.commit('n1', 'two', manifest('collide-2', 64, md5));
  t.equal(one.dedup, false);
  t.equal(two.dedup, false);
  t.not(one.blob.id, two.blob.id);
  t.same((await store.blobs.byMd5(md5)).map((b) => b.id).sort(), [one.blob.id, two.blob.id].sort());
  t.ok(lines.some((l) => l.includes('MD5 collision') && JSON.parse(l).level === 40), 'warning logged');
  t.equal((await store.links.get(two.link.id))?.blobId, two.blob.id, 'each link names its own content');
});

t.test('same SHA-256 with another MD5 is refused', async (t) => {
  const { committer } = await setup(t, ['n1']);
  const m = manifest('liar', 64);
  await committer.commit('n1', 'a', m);
  await t.rejects(committer.commit('n1', 'b', { ...m, md5: '0'.repeat(32) }), HoardError);
  await t.rejects(committer.commit('n1', 'c', { ...m, md5: '1'.repeat(32) }), { code: 'BAD_REQUEST' });
});

t.test('20 concurrent commits of one new file: one blob, 20 links', async (t) => {
  const nodes = ['n1', 'n2', 'n3', 'n4'];
  const { store, committer } = await setup(t, nodes);
  const m = manifest('popular', 3 * CHUNK + 5);
  const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => committer.commit(nodes[i % 4]!, `copy-${i}.bin`, m)));
  t.equal(outs.filter((o) => !o.dedup).length, 1, 'exactly one creates the blob');
  const holder = outs.find((o) => !o.dedup)!.blob.nodes;
  t.equal(holder.length, 1);
  for (const o of outs) t.same(o.blob.nodes, holder, 'every answer names the one holder');
  t.equal(new Set(outs.map((o) => o.link.id)).size, 20, '20 distinct links');
  t.equal((await store.blobs.byMd5(m.md5)).length, 1);
  const blob = await store.blobs.get(m.id);
  t.equal(blob?.refs, 20);
  t.same((await store.links.ofBlob(m.id, { limit: 100 })).length, 20);
  t.same(await store.counters(), { blobs: 1, links: 20, bytesStored: m.size, logicalBytes: 20 * m.size, uniqueBytes: m.size });
});

t.test('manifest checks', async (t) => {
  const good = manifest('m', 2 * CHUNK + 1);
  t.same(parseManifest(good, upTo(1e12)), good);
  t.same(parseManifest({ ...manifest('empty', 0) }, upTo(10)).chunks, []);
  t.same(parseManifest({ ...manifest('empty', 0), chunks: [{ size: 0, sha256: hex('sha256', '') }] }, upTo(10)).chunks.length, 1);
  const bad: Array<[string, unknown, string]> = [
    ['not an object', 'x', 'BAD_REQUEST'],
    ['array', [], 'BAD_REQUEST'],
    ['id ≠ sha256', { ...good, id: 'b'.repeat(64) }, 'BAD_REQUEST'],
    ['upper-case md5', { ...good, md5: good.md5.toUpperCase() }, 'BAD_REQUEST'],
    ['negative size', { ...good, size: -1 }, 'BAD_REQUEST'],
    ['fractional size', { ...good, size: 1.5 }, 'BAD_REQUEST'],
    ['size as string', { ...good, size: String(good.size) }, 'BAD_REQUEST'],
    ['size over the limit', { ...good, size: 2e12 }, 'PAYLOAD_TOO_LARGE'],
    ['tiny chunkSize', { ...good, chunkSize: 1 }, 'BAD_REQUEST'],
    ['chunks not an array', { ...good, chunks: {} }, 'BAD_REQUEST'],
    ['missing chunk', { ...good, chunks: good.chunks.slice(1) }, 'BAD_REQUEST'],
    ['extra chunk', { ...good, chunks: [...good.chunks, good.chunks[0]] }, 'BAD_REQUEST'],
    ['chunk sizes not adding up', { ...good, chunks: [good.chunks[0], good.chunks[1], { ...good.chunks[2], size: 2 }] }, 'BAD_REQUEST'],
    ['short middle chunk', { ...good, chunks: [good.chunks[0], { ...good.chunks[1], size: 5 }, good.chunks[2]] }, 'BAD_REQUEST'],
    ['bad chunk hash', { ...good, chunks: [good.chunks[0], good.chunks[1], { size: 1, sha256: 'zz' }] }, 'BAD_REQUEST'],
    ['null chunk', { ...good, chunks: [null, good.chunks[1], good.chunks[2]] }, 'BAD_REQUEST'],
  ];
  for (const [name, v, code] of bad) {
    t.throws(() => parseManifest(v, upTo(1e12)), { code }, name);
  }
});

t.test('dedup: a fresh copy is kept as a replica when replication wants one there', async (t) => {
  const store = await openMetaStore('level:' + join(t.testdir(), 'meta'));
  t.teardown(() => store.close());
  const asked: string[] = [];
  const committer = new Committer({
    store,
    log: pino({ level: 'silent' }),
    refuse: async () => undefined,
    isLive: () => true,
    wantsCopy: (blob, node) => {
      asked.push(`${blob.nodes.join(',')}+${node}`);
      return node === 'n2';
    },
  });
  const m = manifest('replica', 1000);
  await committer.commit('n1', 'a.bin', m);
  const kept = await committer.commit('n2', 'b.bin', m);
  t.equal(kept.dedup, true);
  t.same(kept.blob.nodes, ['n1', 'n2'], 'the duplicate on n2 became the second copy');
  const dropped = await committer.commit('n3', 'c.bin', m);
  t.same(dropped.blob.nodes, ['n1', 'n2'], 'not wanted on n3: its copy is not listed (the node deletes it)');
  t.same(asked, ['n1+n2', 'n1,n2+n3']);
});

t.test('the write pipeline: a new blob lists the committing node and its followers; a duplicate adopts followers only where wanted', async (t) => {
  const store = await openMetaStore('level:' + join(t.testdir(), 'meta'));
  t.teardown(() => store.close());
  const committer = new Committer({ store, log: pino({ level: 'silent' }), refuse: async () => undefined, isLive: () => true, wantsCopy: (blob, node) => node === 'n3' && blob.nodes.length < 2 });
  const fresh = await committer.commit('n1', 'a.bin', manifest('piped', 1000), { uploadId: 'u1', followers: ['n2'] });
  t.same(fresh.blob.nodes, ['n1', 'n2'], 'both copies count from the commit on');
  const other = manifest('piped-2', 1000);
  await committer.commit('n1', 'b.bin', other);
  const dup = await committer.commit('n4', 'c.bin', other, { followers: ['n3'] });
  t.same(dup.blob.nodes, ['n1', 'n3'], 'the follower in a wanted zone is kept, the committing node\'s copy is not');
});

t.test('an owner: the link records its uploader, usage moves by the logical size (dedup counted), the quota refuses what would pass it', async (t) => {
  const { store, committer } = await setup(t, ['n1']);
  const owner = { user: 'u1', quota: 2500 };
  // Usage counts for accounts that exist (a deleted account's counter is not brought back).
  for (const id of ['u1', 'u2']) await store.accounts.createUser({ id, name: id, passwordHash: 'x', tier: 'free', created: new Date().toISOString() });
  const a = await committer.commit('n1', 'a.bin', manifest('q-a', 1000), { uploadId: 'up-a', owner });
  t.equal(a.link.uploader, 'u1');
  t.equal(await store.accounts.usage('u1'), 1000);
  const dup = await committer.commit('n1', 'again.bin', manifest('q-a', 1000), { uploadId: 'up-b', owner });
  t.equal(dup.dedup, true);
  t.equal(await store.accounts.usage('u1'), 2000, 'a duplicate counts in full');
  const before = await store.counters();
  const refused = await committer.commit('n1', 'c.bin', manifest('q-c', 1000), { uploadId: 'up-c', owner }).then(() => undefined, (err: unknown) => err);
  t.ok(refused instanceof HoardError && refused.code === 'QUOTA_EXCEEDED', 'past the quota: QUOTA_EXCEEDED');
  t.match((refused as Error).message, /may keep 2.4 KiB \(2500 bytes\) of files; this upload of 1000 bytes/);
  t.same(await store.counters(), before, 'nothing written');
  t.equal(await store.blobs.get(manifest('q-c', 1000).id), undefined, 'no blob');
  t.equal(await store.uploads.linkOf('up-c'), undefined, 'no link for the upload');
  t.equal(await store.accounts.usage('u1'), 2000);
  const early = await committer.linkExisting(manifest('q-a', 1000).id, 'early.bin', 'up-d', { user: 'u2' });
  t.equal(early.link.uploader, 'u2', 'an early stop records its uploader too');
  t.equal(await store.accounts.usage('u2'), 1000, 'and counts; no quota, no limit');
  const overEarly = await committer.linkExisting(manifest('q-a', 1000).id, 'e2.bin', 'up-e', owner).then(() => undefined, (err: unknown) => err);
  t.ok(overEarly instanceof HoardError && overEarly.code === 'QUOTA_EXCEEDED', 'an early stop past the quota is refused as well');
  const anon = await committer.commit('n1', 'anon.bin', manifest('q-a', 1000));
  t.equal(anon.link.uploader, undefined, 'an anonymous upload has no uploader');
});
