// What every MetaStore back end must do with download counts: batches add
// up per link, a link that is gone (or never was) takes nothing, a deleted
// link's count goes with it, and concurrent batches lose nothing.
import type { Test } from 'tap';
import { deleteLink, writeCommit } from '../../../tracker/meta/operations.js';
import { commitOf, freshStore, type SuiteOptions } from './fixtures.js';

export async function downloadCountsGroup(t: Test, { factory, supports }: SuiteOptions): Promise<void> {
  const fresh = (t: Test) => freshStore(t, factory);

  await t.test('batches add up per link; unknown and gone links take nothing', async (t) => {
    const s = await fresh(t);
    const a = commitOf('dc-a', 10, ['n1']);
    const b = commitOf('dc-b', 10, ['n1']);
    await writeCommit(s, a);
    await writeCommit(s, b);
    t.same(Object.fromEntries(await s.downloadCounts.of([a.link.id, b.link.id])), { [a.link.id]: 0, [b.link.id]: 0 }, 'none yet');
    await s.downloadCounts.add(new Map([[a.link.id, 1]]));
    await s.downloadCounts.add(
      new Map([
        [a.link.id, 2],
        [b.link.id, 5],
        ['nosuchlink0000000000', 3],
        ['not an id!', 1],
      ]),
    );
    await s.downloadCounts.add(new Map());
    t.same(Object.fromEntries(await s.downloadCounts.of([a.link.id, b.link.id, 'nosuchlink0000000000', 'not an id!'])), {
      [a.link.id]: 3,
      [b.link.id]: 5,
      nosuchlink0000000000: 0,
      'not an id!': 0,
    });
    t.same((await s.links.get(a.link.id))?.filename, a.link.filename, 'the link record is as it was');
    await t.rejects(s.downloadCounts.add(new Map([[a.link.id, 0]])), TypeError, 'a count is a positive whole number');
    await t.rejects(s.downloadCounts.add(new Map([[a.link.id, 1.5]])), TypeError);

    await deleteLink(s, a.link.id, '2024-03-01T00:00:00.000Z');
    t.equal((await s.downloadCounts.of([a.link.id])).get(a.link.id), 0, 'a deleted link has no count');
    await s.downloadCounts.add(new Map([[a.link.id, 1]]));
    t.equal((await s.downloadCounts.of([a.link.id])).get(a.link.id), 0, 'nor gets one');
    await writeCommit(s, a);
    t.equal((await s.downloadCounts.of([a.link.id])).get(a.link.id), 0, 'a link made again under the id starts from nothing');
    t.same(await s.counters(), { blobs: 2, links: 2, bytesStored: 20, logicalBytes: 20, uniqueBytes: 20 }, 'counts are not store counters');
  });

  await t.test('concurrent batches lose nothing', async (t) => {
    const s = await fresh(t);
    const a = commitOf('dc-c', 10, ['n1']);
    await writeCommit(s, a);
    await Promise.all(Array.from({ length: 20 }, () => s.downloadCounts.add(new Map([[a.link.id, 2]]))));
    t.equal((await s.downloadCounts.of([a.link.id])).get(a.link.id), 40);
  });

  await t.test('counts outlive close and open', { skip: !supports.persistence && 'no persistence' }, async (t) => {
    const location = await factory.location();
    const s = await factory.open(location);
    const a = commitOf('dc-d', 10, ['n1']);
    await writeCommit(s, a);
    await s.downloadCounts.add(new Map([[a.link.id, 7]]));
    await s.close();
    const again = await factory.open(location);
    t.teardown(() => again.close());
    t.equal((await again.downloadCounts.of([a.link.id])).get(a.link.id), 7);
  });
}
