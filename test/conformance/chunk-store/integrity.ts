// What every ChunkStore back end must do for integrity and space: list in id
// order, verify a copy, withdraw one into quarantine. Called next to suite()
// with the same factory.
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import { store, type ChunkStoreFactory } from './core.js';

const CS = 64 * 1024;

export function integritySuite(t: Test, factory: ChunkStoreFactory): void {
  const fresh = async (t: Test) => {
    const h = await factory({ chunkSize: CS });
    t.teardown(() => h.cleanup());
    return h;
  };

  t.test('listPage walks the blobs in id order, a page at a time', async (t) => {
    const { store: s } = await fresh(t);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await store(s, randomBytes(100 + i))).manifest.id);
    ids.sort();
    t.same(await s.listPage(undefined, 100), ids);
    const first = await s.listPage(undefined, 5);
    const second = await s.listPage(first[4], 5);
    const third = await s.listPage(second[4], 5);
    t.same([...first, ...second, ...third], ids);
    t.same(await s.listPage(ids[11], 5), []);
  });

  t.test('verify reads every chunk of a good copy; undefined for an absent blob', async (t) => {
    const { store: s } = await fresh(t);
    const data = randomBytes(3 * CS + 7);
    const { manifest: m } = await store(s, data);
    const r = await s.verify(m.id, { force: true });
    t.same(r, { id: m.id, chunks: 4, bytes: data.length, bad: [] });
    t.equal(await s.verify('e'.repeat(64)), undefined);
  });

  t.test('quarantine withdraws a copy: absent for reads and listings, kept until dropped', async (t) => {
    const { store: s } = await fresh(t);
    const { manifest: m } = await store(s, randomBytes(CS + 1));
    const keep = (await store(s, randomBytes(10))).manifest.id;
    t.equal(s.count(), 2);
    t.equal(await s.quarantine(m.id), true);
    t.equal(await s.quarantine(m.id), false, 'second time: nothing to move');
    t.equal(await s.get(m.id), undefined);
    t.equal(await s.has(m.id), false);
    await t.rejects(s.read(m.id), { code: 'BLOB_NOT_FOUND' });
    t.same(await s.listPage(undefined, 10), [keep]);
    t.equal(s.count(), 1);
    const q = await s.quarantined();
    t.same(q.map((x) => x.id), [m.id]);
    t.equal(await s.dropQuarantined({ olderThanMs: 60_000 }), 0, 'young quarantined copies stay');
    t.equal(await s.dropQuarantined({ id: m.id }), 1);
    t.same(await s.quarantined(), []);
    // The same content stored again is a fresh, readable copy.
    await store(s, randomBytes(5));
    t.equal(await s.quarantine(keep), true);
    t.equal(await s.dropQuarantined({ olderThanMs: 0 }), 1, 'olderThanMs 0 drops every quarantined copy');
  });
}
