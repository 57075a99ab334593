// The index and a node's copies walked side by side: every id once, in order,
// across page boundaries on both sides.
import { join } from 'node:path';
import t from 'tap';
import type { NodeBlobEntry } from '../../../../common/protocol/integrity.js';
import { openMetaStore } from '../../../../tracker/meta/open.js';
import { writeCommit } from '../../../../tracker/meta/operations.js';
import { walkIndexAndNode, type WalkStep } from '../../../../tracker/replication/index-walk.js';

const id = (n: number) => n.toString(16).padStart(64, '0');
const entry = (n: number): NodeBlobEntry => ({ id: id(n), size: n, chunks: 1, mtime: '2025-01-01T00:00:00.000Z' });

t.test('a merge of both lists in id order, pages of 1000 on both sides', async (t) => {
  const store = await openMetaStore('level:' + join(t.testdir(), 'meta'));
  t.teardown(() => store.close());
  // Index: multiples of 2 below 2400; node: multiples of 3 below 2400 (both longer than a page).
  const inIndex = new Set<number>();
  for (let n = 0; n < 2400; n += 2) {
    inIndex.add(n);
    const blob = { id: id(n), md5: id(n).slice(32), sha256: id(n), size: 1, chunkSize: 64, chunks: 1, nodes: ['n1'], created: '' };
    await writeCommit(store, { link: { id: `l${String(n).padStart(8, '0')}`, blobId: blob.id, filename: 'f', created: '' }, blob, chunks: [] });
  }
  const onNode = Array.from({ length: 800 }, (_, i) => entry(i * 3));
  const asked: Array<string | undefined> = [];
  const api = {
    list: async (after: string | undefined, limit: number) => {
      asked.push(after);
      return onNode.filter((e) => after === undefined || e.id > after).slice(0, limit);
    },
  };
  const steps: WalkStep[] = [];
  for await (const s of walkIndexAndNode(store, api)) steps.push(s);
  const idOf = (s: WalkStep) => (s.kind === 'node-only' ? s.copy.id : s.blob.id);
  const ids = steps.map(idOf);
  t.same(ids, [...ids].sort(), 'in id order');
  t.equal(new Set(ids).size, ids.length, 'each id once');
  const expect = (n: number) => (inIndex.has(n) && n % 3 === 0 ? 'both' : inIndex.has(n) ? 'index-only' : 'node-only');
  const wrong = steps.filter((s) => s.kind !== expect(parseInt(idOf(s), 16)));
  t.same(wrong, [], 'each step of the right kind');
  t.equal(steps.filter((s) => s.kind === 'both').length, 400);
  t.equal(steps.length, 1200 + 800 - 400);
  t.same(asked, [undefined], 'the node asked once: its 800 copies fit one page');
});

t.test('an empty index or an empty node', async (t) => {
  const store = await openMetaStore('level:' + join(t.testdir(), 'meta'));
  t.teardown(() => store.close());
  const kinds: string[] = [];
  for await (const s of walkIndexAndNode(store, { list: async (after) => (after ? [] : [entry(1), entry(2)]) })) kinds.push(s.kind);
  t.same(kinds, ['node-only', 'node-only']);
  const none: string[] = [];
  for await (const s of walkIndexAndNode(store, { list: async () => [] })) none.push(s.kind);
  t.same(none, []);
});
