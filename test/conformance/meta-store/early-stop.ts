// What every MetaStore back end must do for early stop: keep a new blob's
// prefix digests, flag an MD5 that held two contents, and remember the link
// a resumable upload ended as, all in the commit's one write.
import type { Test } from 'tap';
import { writeCommit } from '../../../tracker/meta/operations.js';
import { StoreError } from '../../../tracker/meta/store.js';
import { fakeBlob, freshStore, linkId, type SuiteOptions } from './fixtures.js';

const MiB = 1 << 20;
const prefixes = (seed: string) => [
  { offset: MiB, md5: seed.padEnd(32, '0').slice(0, 32), sha256: seed.padEnd(64, '1').slice(0, 64) },
];

export async function earlyStopGroup(t: Test, { factory }: SuiteOptions): Promise<void> {
  const fresh = (t: Test) => freshStore(t, factory);

  await t.test('a new blob keeps its prefix digests; a later commit does not change them', async (t) => {
    const s = await fresh(t);
    const { blob, chunks } = fakeBlob('pfx', 2 * MiB, ['n1']);
    const link = { id: linkId(), blobId: blob.id, filename: 'p.bin', created: blob.created };
    await writeCommit(s, { link, blob, chunks, prefixes: prefixes('aa') });
    t.same(await s.blobs.prefixes(blob.id), prefixes('aa'));
    await writeCommit(s, { link: { ...link, id: linkId() }, blob, chunks, prefixes: prefixes('bb') });
    t.same(await s.blobs.prefixes(blob.id), prefixes('aa'), 'ignored for an existing blob');
    t.equal(await s.blobs.prefixes('f'.repeat(64)), undefined);
  });

  await t.test('the MD5 collision flag', async (t) => {
    const s = await fresh(t);
    const md5 = 'e'.repeat(32);
    const a = fakeBlob('ca', 1000, ['n1'], md5);
    const b = fakeBlob('cb', 1000, ['n1'], md5);
    await writeCommit(s, { link: { id: linkId(), blobId: a.blob.id, filename: 'a', created: a.blob.created }, ...a });
    t.equal(await s.blobs.md5Collided(md5), false);
    await writeCommit(s, { link: { id: linkId(), blobId: b.blob.id, filename: 'b', created: b.blob.created }, ...b, md5Collision: true });
    t.equal(await s.blobs.md5Collided(md5), true);
    t.equal(await s.blobs.md5Collided('0'.repeat(32)), false);
    const since = (await s.blobs.collisions({ limit: 10 }))[0]?.since;
    t.same(await s.blobs.collisions({ limit: 10 }), [{ md5, since }], 'listed, with when');
    t.same(await s.blobs.collisions({ limit: 10, after: md5 }), [], 'paged by MD5');
  });

  await t.test('an upload id names one link, written with it', async (t) => {
    const s = await fresh(t);
    const { blob, chunks } = fakeBlob('up', 5000, ['n1']);
    const uploadId = 'A'.repeat(22);
    const id = linkId();
    await writeCommit(s, { link: { id, blobId: blob.id, filename: 'u', created: blob.created }, blob, chunks, uploadId });
    t.equal(await s.uploads.linkOf(uploadId), id);
    t.equal(await s.uploads.linkOf('B'.repeat(22)), undefined);
    const other = fakeBlob('up2', 5000, ['n1']);
    const id2 = linkId();
    await writeCommit(s, { link: { id: id2, blobId: other.blob.id, filename: 'u3', created: blob.created }, ...other, uploadId: '0'.repeat(22) });
    t.same(await s.uploads.list({ limit: 10 }), [{ uploadId: '0'.repeat(22), linkId: id2 }, { uploadId, linkId: id }], 'listed in upload id order');
    t.same(await s.uploads.list({ limit: 1, after: '0'.repeat(22) }), [{ uploadId, linkId: id }], 'paged');
    const before = await s.counters();
    try {
      await writeCommit(s, { link: { id: linkId(), blobId: blob.id, filename: 'u2', created: blob.created }, blob, chunks, uploadId });
      t.fail('a second link for one upload must be refused');
    } catch (err) {
      t.ok(err instanceof StoreError && err.code === 'CONFLICT', 'CONFLICT');
    }
    t.same(await s.counters(), before, 'and nothing written');
  });
}
