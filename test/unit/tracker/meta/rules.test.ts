// The store's rules as tables: records in, records to write and answers out.
import t from 'tap';
import type { BadCopyRecord, BlobRecord, LinkRecord, RecordWrite } from '../../../../tracker/meta/records.js';
import {
  decideBlobDelete,
  decideCommit,
  decideDropBadCopy,
  decideHolders,
  decideLinkDelete,
  decideMarkBad,
  decideRestore,
  isStaleBadCopy,
  type CommitState,
  type CommitWrite,
  type HoldersChange,
} from '../../../../tracker/meta/rules.js';

const T0 = '2024-01-01T00:00:00.000Z';
const T1 = '2024-02-01T00:00:00.000Z';
const T2 = '2024-02-02T00:00:00.000Z';

const blob = (over: Partial<BlobRecord> = {}): BlobRecord => ({
  id: 'b'.repeat(64),
  md5: 'm'.repeat(32),
  sha256: 'b'.repeat(64),
  size: 100,
  chunkSize: 64,
  chunks: 2,
  nodes: ['n1'],
  refs: 1,
  created: T0,
  ...over,
});
const link = (id = 'L1', blobId = 'b'.repeat(64)): LinkRecord => ({ id, blobId, filename: `${id}.bin`, created: T1 });
const chunks = [{ size: 64, sha256: 'c'.repeat(64) }, { size: 36, sha256: 'd'.repeat(64) }];
const prefixes = [{ offset: 64, md5: 'e'.repeat(32), sha256: 'f'.repeat(64) }];
const bad = (nodeId: string, over: Partial<BadCopyRecord> = {}): BadCopyRecord => ({ blobId: 'b'.repeat(64), nodeId, chunks: [0], source: 'scrub', reported: T1, ...over });

function commit(over: Partial<CommitWrite> = {}): CommitWrite {
  const { refs: _refs, ...b } = blob();
  return { link: link(), blob: b, chunks, prefixes, ...over };
}
const none: CommitState = { link: undefined, blob: undefined, uploadLink: undefined };

const blobWrite = (ws: RecordWrite[]) => ws.find((w): w is Extract<RecordWrite, { type: 'blob' }> => w.type === 'blob');

t.test('decideCommit', async (t) => {
  const cases: Array<{ name: string; w: CommitWrite; cur: CommitState; created?: boolean; nodes?: string[]; refs?: number; types?: string[]; conflict?: RegExp }> = [
    { name: 'a new blob: link, blob with its chunks and prefixes', w: commit(), cur: none, created: true, nodes: ['n1'], refs: 1, types: ['link', 'blob'] },
    { name: 'an existing blob: one more ref, holders united', w: commit({ blob: { ...commit().blob, nodes: ['n2'] } }), cur: { ...none, blob: blob({ refs: 2 }) }, created: false, nodes: ['n1', 'n2'], refs: 3, types: ['link', 'blob'] },
    { name: 'an upload: its link recorded', w: commit({ uploadId: 'U'.repeat(22) }), cur: none, created: true, types: ['link', 'blob', 'upload'] },
    { name: 'a collision mark', w: commit({ md5Collision: true }), cur: none, created: true, types: ['link', 'blob', 'md5Collision'] },
    { name: 'a link id taken', w: commit(), cur: { ...none, link: link() }, conflict: /link L1 exists/ },
    { name: 'a link naming another blob', w: commit({ link: link('L1', 'a'.repeat(64)) }), cur: none, conflict: /names blob/ },
    { name: 'an upload that has a link', w: commit({ uploadId: 'U'.repeat(22) }), cur: { ...none, uploadLink: 'L0' }, conflict: /already has a link/ },
    { name: 'the blob id stored with another MD5', w: commit(), cur: { ...none, blob: blob({ md5: '0'.repeat(32) }) }, conflict: /another md5/ },
    { name: 'the blob id stored with another size', w: commit(), cur: { ...none, blob: blob({ size: 7 }) }, conflict: /another md5 or size/ },
    { name: 'the blob id stored with another SHA-256', w: commit(), cur: { ...none, blob: blob({ sha256: '0'.repeat(64) }) }, conflict: /another md5/ },
  ];
  for (const c of cases) {
    if (c.conflict) {
      t.throws(() => decideCommit(c.w, c.cur), { name: 'StoreError', code: 'CONFLICT', message: c.conflict }, c.name);
      continue;
    }
    const d = decideCommit(c.w, c.cur);
    t.same(d.writes.map((w) => w.type), c.types, `${c.name}: writes`);
    t.equal(d.result.created, c.created, `${c.name}: created`);
    if (c.nodes) t.same(d.result.blob.nodes, c.nodes, `${c.name}: holders`);
    if (c.refs) t.equal(d.result.blob.refs, c.refs, `${c.name}: refs`);
    const b = blobWrite(d.writes)!;
    t.same(b.record, d.result.blob, `${c.name}: the blob written is the one answered`);
    t.equal(b.chunks !== undefined, c.created, `${c.name}: chunks only with a new blob`);
  }
  const up = decideCommit(commit({ uploadId: 'U'.repeat(22) }), none);
  t.same(up.writes[2], { type: 'upload', record: { uploadId: 'U'.repeat(22), linkId: 'L1' } });
  const col = decideCommit(commit({ md5Collision: true }), none);
  t.same(col.writes[2], { type: 'md5Collision', record: { md5: 'm'.repeat(32), since: T1 } });
  const saved = decideCommit(commit(), { ...none, blob: blob({ refs: 0, unreferencedSince: T1 }) });
  t.equal(saved.result.blob.unreferencedSince, undefined, 'a new link takes a blob awaiting GC off the list');
  t.equal(saved.result.blob.refs, 1);
});

t.test('decideLinkDelete', async (t) => {
  const cases: Array<[string, BlobRecord | undefined, number | undefined, string | undefined]> = [
    ['one of two links', blob({ refs: 2 }), 1, undefined],
    ['the last link: marked from now', blob({ refs: 1 }), 0, T2],
    ['the last link of a blob already marked keeps the first mark', blob({ refs: 1, unreferencedSince: T1 }), 0, T1],
    ['refs never go below 0', blob({ refs: 0, unreferencedSince: T1 }), 0, T1],
    ['a link to a missing blob goes alone', undefined, undefined, undefined],
  ];
  for (const [name, b, refs, since] of cases) {
    const d = decideLinkDelete(link(), b, T2);
    t.same(d.writes[0], { type: 'link', id: 'L1', record: undefined }, `${name}: the link goes`);
    t.equal(d.result.blob?.refs, refs, `${name}: refs`);
    t.equal(d.result.blob?.unreferencedSince, since, `${name}: unreferenced mark`);
    t.equal(d.writes.length, b ? 2 : 1, `${name}: writes`);
  }
});

t.test('decideBlobDelete', async (t) => {
  const d = decideBlobDelete(blob({ refs: 0, unreferencedSince: T1 }), [bad('n2'), bad('n3')]);
  t.same(d.writes, [
    { type: 'blob', id: 'b'.repeat(64), record: undefined },
    { type: 'badCopy', blobId: 'b'.repeat(64), nodeId: 'n2', record: undefined },
    { type: 'badCopy', blobId: 'b'.repeat(64), nodeId: 'n3', record: undefined },
  ]);
  t.same(d.result.badNodes, ['n2', 'n3']);
  t.throws(() => decideBlobDelete(blob({ refs: 1 }), []), { code: 'CONFLICT' }, 'a linked blob stays');
});

t.test('decideMarkBad', async (t) => {
  const cases: Array<[string, BlobRecord, string, boolean, boolean, string[], number]> = [
    ['a holder', blob({ nodes: ['n1', 'n2'] }), 'n1', false, true, ['n2'], 2],
    ['a holder already recorded', blob({ nodes: ['n1', 'n2'] }), 'n1', true, true, ['n2'], 2],
    ['recorded, no longer a holder: the record is updated', blob({ nodes: ['n2'] }), 'n1', true, true, ['n2'], 1],
    ['neither: not recorded, nothing written', blob({ nodes: ['n2'] }), 'n9', false, false, ['n2'], 0],
  ];
  for (const [name, b, node, known, recorded, nodes, writes] of cases) {
    const d = decideMarkBad(b, bad(node), known);
    t.equal(d.result.recorded, recorded, `${name}: recorded`);
    t.same(d.result.blob.nodes, nodes, `${name}: holders`);
    t.equal(d.writes.length, writes, `${name}: writes`);
  }
});

t.test('decideRestore', async (t) => {
  const back = decideRestore(blob({ nodes: ['n2'] }), 'n1');
  t.same(back.result.nodes, ['n2', 'n1']);
  t.same(back.writes.map((w) => w.type), ['badCopy', 'blob']);
  const already = decideRestore(blob({ nodes: ['n1'] }), 'n1');
  t.same(already.writes, [{ type: 'badCopy', blobId: 'b'.repeat(64), nodeId: 'n1', record: undefined }], 'a holder again by other means: only the record goes');
});

t.test('decideHolders', async (t) => {
  const cases: Array<[string, string[], HoldersChange, string[], boolean]> = [
    ['set', ['n1'], { set: ['n2', 'n3', 'n2'] }, ['n2', 'n3'], true],
    ['set to the same list', ['n1', 'n2'], { set: ['n1', 'n2'] }, ['n1', 'n2'], false],
    ['set to none', ['n1'], { set: [] }, [], true],
    ['add', ['n1'], { add: ['n2'] }, ['n1', 'n2'], true],
    ['add a holder', ['n1'], { add: ['n1'] }, ['n1'], false],
    ['remove', ['n1', 'n2'], { remove: ['n1'] }, ['n2'], true],
    ['remove a stranger', ['n1'], { remove: ['n9'] }, ['n1'], false],
    ['add and remove at once', ['n1', 'n2'], { add: ['n3', 'n2'], remove: ['n1'] }, ['n2', 'n3'], true],
  ];
  for (const [name, before, change, after, changed] of cases) {
    const d = decideHolders(blob({ nodes: before }), change);
    t.same(d.result.blob.nodes, after, `${name}: holders`);
    t.equal(d.result.changed, changed, `${name}: changed`);
    t.equal(d.writes.length, changed ? 1 : 0, `${name}: writes`);
  }
});

t.test('bad-copy records with nothing left to repair', async (t) => {
  t.ok(isStaleBadCopy(undefined, 'n1'), 'blob gone');
  t.ok(isStaleBadCopy(blob({ nodes: ['n1'] }), 'n1'), 'the node holds it again');
  t.notOk(isStaleBadCopy(blob({ nodes: ['n2'] }), 'n1'), 'still to repair');
  t.same(decideDropBadCopy('x', 'n1').writes, [{ type: 'badCopy', blobId: 'x', nodeId: 'n1', record: undefined }]);
});
