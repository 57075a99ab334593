// The takedown rules, table by table: which notice stops a link, what nodes
// refuse and what they are told when it changes, the repeat-infringer
// threshold, the hold before a purge, and the operator's request.
import t from 'tap';
import type { TakedownRecord } from '../../../../tracker/meta/store.js';
import { blockedEntries, blockingNotice, checkTakedownRequest, diffEntries, purgeAfter, purgeDue, reachesThreshold } from '../../../../tracker/takedowns/rules.js';

const T0 = '2026-01-01T00:00:00.000Z';
const notice = (id: string, scope: TakedownRecord['scope'], target: string, more: Partial<TakedownRecord> = {}): TakedownRecord => ({
  id,
  scope,
  target,
  reason: 'r',
  by: 'ops',
  created: T0,
  uploaders: [],
  ...more,
});

t.test('blockingNotice: the link, then its content, then its uploader', async (t) => {
  const onLink = notice('n1', 'link', 'L1', { ref: 'link' });
  const onBlob = notice('n2', 'content', 'B1', { ref: 'content' });
  const onUser = notice('n3', 'user', 'U1', { ref: 'user' });
  const cases: Array<[string, TakedownRecord[], { id: string; blobId: string; uploader?: string }, string | undefined]> = [
    ['nothing in force', [], { id: 'L1', blobId: 'B1', uploader: 'U1' }, undefined],
    ['its own link notice', [onLink], { id: 'L1', blobId: 'B9', uploader: 'U9' }, 'link'],
    ['another link of the content', [onLink], { id: 'L2', blobId: 'B1', uploader: 'U9' }, undefined],
    ['its content', [onBlob], { id: 'L2', blobId: 'B1' }, 'content'],
    ['its uploader', [onUser], { id: 'L2', blobId: 'B2', uploader: 'U1' }, 'user'],
    ['no uploader: a user notice cannot stop it', [onUser], { id: 'L2', blobId: 'B2' }, undefined],
    ['all three: the link notice names it', [onUser, onBlob, onLink], { id: 'L1', blobId: 'B1', uploader: 'U1' }, 'link'],
    ['content before user', [onUser, onBlob], { id: 'L5', blobId: 'B1', uploader: 'U1' }, 'content'],
  ];
  for (const [what, notices, link, want] of cases) {
    const find = (scope: string, target: string) => notices.find((n) => n.scope === scope && n.target === target);
    t.equal(blockingNotice(find, link)?.ref, want, what);
  }
});

t.test('blockedEntries: blobs of content notices, links of link and user notices, none of lifted ones; the older reference wins', async (t) => {
  const entries = blockedEntries(
    [
      notice('n2', 'link', 'L1', { ref: 'newer', created: '2026-02-01T00:00:00.000Z' }),
      notice('n1', 'user', 'U1', { ref: 'older' }),
      notice('n3', 'content', 'B1'),
      notice('n4', 'content', 'B2', { lifted: T0 }),
    ],
    (n) => (n.target === 'U1' ? ['L1', 'L2'] : []),
  );
  t.same(
    [...entries.values()].sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1)),
    [{ kind: 'blob', id: 'B1' }, { kind: 'link', id: 'L1', ref: 'older' }, { kind: 'link', id: 'L2', ref: 'older' }],
  );
});

t.test('diffEntries: what a node is told', async (t) => {
  const m = (...es: Array<{ kind: 'blob' | 'link'; id: string; ref?: string }>) => new Map(es.map((e) => [`${e.kind}:${e.id}`, e]));
  const cases: Array<[string, ReturnType<typeof m>, ReturnType<typeof m>, unknown]> = [
    ['nothing', m(), m(), { block: [], lift: [] }],
    ['a new entry', m(), m({ kind: 'blob', id: 'B1', ref: 'x' }), { block: [{ kind: 'blob', id: 'B1', ref: 'x' }], lift: [] }],
    ['an entry gone', m({ kind: 'link', id: 'L1', ref: 'x' }), m(), { block: [], lift: [{ kind: 'link', id: 'L1' }] }],
    ['a new reference is sent again', m({ kind: 'link', id: 'L1', ref: 'x' }), m({ kind: 'link', id: 'L1', ref: 'y' }), { block: [{ kind: 'link', id: 'L1', ref: 'y' }], lift: [] }],
    ['unchanged', m({ kind: 'blob', id: 'B1' }), m({ kind: 'blob', id: 'B1' }), { block: [], lift: [] }],
  ];
  for (const [what, before, after, want] of cases) t.same(diffEntries(before, after), want, what);
});

t.test('reachesThreshold', async (t) => {
  const cases: Array<[number, number, boolean]> = [
    [0, 3, false],
    [2, 3, false],
    [3, 3, true],
    [4, 3, true],
    [10, 0, false],
    [1, 1, true],
  ];
  for (const [strikes, threshold, want] of cases) t.equal(reachesThreshold(strikes, threshold), want, `${strikes} strikes, threshold ${threshold}`);
});

t.test('purgeAfter and purgeDue: the hold, unless kept, lifted or done', async (t) => {
  const hold = 86_400;
  const day = Date.parse(T0) + hold * 1000;
  const cases: Array<[string, Partial<TakedownRecord>, string | undefined, number, boolean]> = [
    ['in force, before the hold ends', {}, '2026-01-02T00:00:00.000Z', day - 1, false],
    ['in force, when the hold ends', {}, '2026-01-02T00:00:00.000Z', day, true],
    ['legal hold', { keep: true }, undefined, day * 2, false],
    ['lifted', { lifted: T0 }, undefined, day * 2, false],
    ['purged already', { purged: T0 }, undefined, day * 2, false],
  ];
  for (const [what, more, after, now, due] of cases) {
    const n = notice('n', 'content', 'B', more);
    t.equal(purgeAfter(n, hold), after, `${what}: purge after`);
    t.equal(purgeDue(n, hold, now), due, `${what}: due`);
  }
});

t.test("checkTakedownRequest: the operator's request", async (t) => {
  t.same(checkTakedownRequest({ scope: 'link', target: 'L1', reason: ' spam ', ref: 'DMCA-1' }), { scope: 'link', target: 'L1', reason: 'spam', ref: 'DMCA-1' });
  t.same(checkTakedownRequest({ scope: 'user', target: 'bob', reason: 'x', keep: true, disableAccount: true }), { scope: 'user', target: 'bob', reason: 'x', keep: true, disableAccount: true });
  t.same(checkTakedownRequest({ scope: 'content', target: 'L1', reason: 'x', keep: false }), { scope: 'content', target: 'L1', reason: 'x' });
  const bad: Array<[string, unknown]> = [
    ['not an object', []],
    ['unknown scope', { scope: 'blob', target: 'x', reason: 'x' }],
    ['no target', { scope: 'link', reason: 'x' }],
    ['no reason', { scope: 'link', target: 'x' }],
    ['blank reason', { scope: 'link', target: 'x', reason: '   ' }],
    ['a reference with a line break', { scope: 'link', target: 'x', reason: 'x', ref: 'a\nb' }],
    ['a reference too long', { scope: 'link', target: 'x', reason: 'x', ref: 'a'.repeat(200) }],
    ['keep not a boolean', { scope: 'link', target: 'x', reason: 'x', keep: 'yes' }],
    ['disableAccount outside the user scope', { scope: 'content', target: 'x', reason: 'x', disableAccount: true }],
  ];
  for (const [what, body] of bad) t.throws(() => checkTakedownRequest(body), { code: 'BAD_REQUEST' }, what);
});
