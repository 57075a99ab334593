// The tracker's side of early stop without servers: the prefix index and the
// collision flag in the meta store, the candidate rules, and the single-use,
// upload-bound challenges.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { checkpointsFor } from '../../../common/protocol/prefix.js';
import { type BlobManifest } from '../../../common/protocol/types.js';
import { Committer } from '../../../tracker/index/committer.js';
import { parseManifest } from '../../../tracker/index/manifest.js';
import { checkUpload } from '../../../tracker/index/upload-policy.js';
import { openMetaStore } from '../../../tracker/meta/open.js';
import { findCandidate } from '../../../tracker/index/prefix-index.js';
import { ProofBook } from '../../../tracker/index/proof-book.js';

const MiB = 1 << 20;
const CHUNK = 1 << 20;
const hex = (algo: string, s: string) => createHash(algo).update(s).digest('hex');
const silent = pino({ level: 'silent' });

function manifest(seed: string, size: number, md5 = hex('md5', seed), withPrefixes = true): BlobManifest {
  const sha256 = hex('sha256', seed);
  const n = Math.ceil(size / CHUNK);
  const chunks = Array.from({ length: n }, (_, i) => ({ size: i < n - 1 ? CHUNK : size - CHUNK * i, sha256: hex('sha256', seed + i) }));
  const prefixes = checkpointsFor(size).map((offset) => ({ offset, md5: hex('md5', seed + offset), sha256: hex('sha256', seed + offset) }));
  return { id: sha256, md5, sha256, size, chunkSize: CHUNK, chunks, ...(withPrefixes ? { prefixes } : {}) };
}

async function setup(t: Test) {
  const store = await openMetaStore('level:' + join(t.testdir(), 'meta'));
  t.teardown(() => store.close());
  return { store, committer: new Committer({ store, log: silent, refuse: async () => undefined, isLive: () => true }) };
}

t.test('commits keep prefix digests; a declared identity finds its blob', async (t) => {
  const { store, committer } = await setup(t);
  const m = manifest('one', 5 * MiB);
  await committer.commit('n1', 'one.bin', parseManifest(m, (size) => checkUpload({ maxUploadSize: 2 ** 40, uploadLimitAnonymous: 0, uploadLimitFree: 0, uploadLimitPremium: 0, downloadLimitFree: 0, storageQuotaFree: 0, storageQuotaPremium: 0 }, { kind: 'node' }, size)));
  t.same(await store.blobs.prefixes(m.id), m.prefixes);
  const cand = await findCandidate(store, { md5: m.md5, sha256: m.sha256, size: m.size });
  t.equal(cand?.blob.id, m.id);
  t.same(cand?.prefixes, m.prefixes);
  t.equal(await findCandidate(store, { md5: m.md5, sha256: hex('sha256', 'other'), size: m.size }), undefined, 'another SHA-256: no candidate');
  t.equal(await findCandidate(store, { md5: m.md5, sha256: m.sha256, size: m.size + 1 }), undefined, 'another size: no candidate');
});

t.test('a blob stored without prefix digests is never a candidate', async (t) => {
  const { store, committer } = await setup(t);
  const m = manifest('old', 5 * MiB, undefined, false);
  await committer.commit('n1', 'old.bin', m);
  t.equal(await findCandidate(store, { md5: m.md5, sha256: m.sha256, size: m.size }), undefined);
});

t.test('an MD5 collision sets the flag and turns early stop off for that MD5', async (t) => {
  const { store, committer } = await setup(t);
  const a = manifest('a', 5 * MiB, 'c'.repeat(32));
  const b = manifest('b', 5 * MiB, 'c'.repeat(32));
  await committer.commit('n1', 'a.bin', a);
  t.notOk(await store.blobs.md5Collided(a.md5));
  t.ok(await findCandidate(store, { md5: a.md5, sha256: a.sha256, size: a.size }), 'a candidate before the collision');
  await committer.commit('n1', 'b.bin', b);
  t.ok(await store.blobs.md5Collided(a.md5), 'flagged');
  t.equal(await findCandidate(store, { md5: a.md5, sha256: a.sha256, size: a.size }), undefined, 'no candidate after it');
  t.equal(await findCandidate(store, { md5: b.md5, sha256: b.sha256, size: b.size }), undefined);
  t.equal((await store.blobs.byMd5(a.md5)).length, 2, 'both blobs stay indexed');
});

t.test('a link to a proven blob records the upload, once', async (t) => {
  const { store, committer } = await setup(t);
  const m = manifest('p', 3 * MiB);
  await committer.commit('n1', 'p.bin', m);
  const out = await committer.linkExisting(m.id, 'copy.bin', 'U'.repeat(22));
  t.equal(out.dedup, true);
  t.equal(await store.uploads.linkOf('U'.repeat(22)), out.link.id);
  t.equal((await store.blobs.get(m.id))?.refs, 2);
  await t.rejects(committer.linkExisting(m.id, 'again.bin', 'U'.repeat(22)), 'a second link for one upload is refused');
  await t.rejects(committer.linkExisting('f'.repeat(64), 'x.bin', 'V'.repeat(22)), { code: 'BLOB_NOT_FOUND' });
});

t.test('challenges: single use, bound to the upload and its node', async (t) => {
  const m = manifest('c', 5 * MiB);
  const candidate = { blob: { ...m, chunks: m.chunks.length, nodes: ['n1'], refs: 1, created: '' }, prefixes: m.prefixes! };
  let asked = 0;
  // Stands in for a holder: the answer depends on the upload and the nonce.
  const expectedFor = (uploadId: string, nonce: string) => `${uploadId}:${nonce}`;
  const book = new ProofBook({
    log: silent,
    expected: async (_blob, uploadId, ch) => {
      asked++;
      return expectedFor(uploadId, ch.nonce);
    },
  });

  const ch = book.issue('up1', 'n1', m.size, candidate);
  t.equal(asked, 0, 'issuing asks no holder (the creation answer must not wait on it)');
  book.prepare('up1');
  t.equal(asked, 1, 'prepare asks for the expected answer');
  t.same(await book.verify('up1', 'n2', expectedFor('up1', ch.nonce)), { ok: false }, 'another node cannot use it');
  const ok = await book.verify('up1', 'n1', expectedFor('up1', ch.nonce));
  t.match(ok, { ok: true, blobId: m.id });
  t.same(await book.verify('up1', 'n1', expectedFor('up1', ch.nonce)), { ok: false }, 'single use');
  t.equal(book.takeProven('up1', 'n2'), undefined, 'only the upload’s node commits it');
  t.equal(book.takeProven('up1', 'n1'), m.id);
  t.equal(book.takeProven('up1', 'n1'), undefined, 'once');

  const ch2 = book.issue('up2', 'n1', m.size, candidate);
  t.same(await book.verify('up2', 'n1', 'wrong'), { ok: false });
  t.same(await book.verify('up2', 'n1', expectedFor('up2', ch2.nonce)), { ok: false }, 'the right answer after a wrong one: too late');

  book.issue('up3', 'n1', m.size, undefined);
  t.same(await book.verify('up3', 'n1', 'anything'), { ok: false }, 'no stored content: never proven');

  const failing = new ProofBook({ log: silent, expected: () => Promise.reject(new Error('holder down')) });
  failing.issue('up4', 'n1', m.size, candidate);
  t.same(await failing.verify('up4', 'n1', 'x'), { ok: false }, 'no expected answer: the upload runs in full');
});

t.test('a challenge issued by another tracker is adopted from the node, and single use holds here too', async (t) => {
  const { store, committer } = await setup(t);
  const m = manifest('adopted', 5 * MiB);
  await committer.commit('n1', 'adopted.bin', m);
  const candidate = await findCandidate(store, { md5: m.md5, sha256: m.sha256, size: m.size });
  const answer = (uploadId: string, nonce: string) => hex('sha256', `${uploadId}/${nonce}`);
  const expected = async (_blob: string, uploadId: string, ch: { nonce: string }) => answer(uploadId, ch.nonce);
  const issuer = new ProofBook({ log: silent, expected });
  const other = new ProofBook({ log: silent, expected });
  const ch = issuer.issue('up1', 'n1', m.size, candidate);
  t.notOk(other.knows('up1'));
  t.same(await other.verify('up1', 'n1', answer('up1', ch.nonce)), { ok: false }, 'unknown without the node\'s copy');
  other.adopt('up1', 'n1', m.size, ch, candidate);
  t.match(await other.verify('up1', 'n1', answer('up1', ch.nonce)), { ok: true, blobId: m.id }, 'checked from the copy');
  other.adopt('up1', 'n1', m.size, ch, candidate);
  t.same(await other.verify('up1', 'n1', answer('up1', ch.nonce)), { ok: false }, 'adopting again does not reopen it');
  t.equal(other.takeProven('up1', 'n1'), m.id, 'and the proven upload commits here');
});
