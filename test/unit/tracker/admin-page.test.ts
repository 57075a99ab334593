// The cluster page's markup: zones and nodes in order, fill and state in
// words, totals, and the navigation entry only an administrator sees.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterStats, NodeStatus, RepairStatus } from '../../../common/protocol/types.js';
import { byZone, bytesText, fillPercent, renderAdminPage, stateText } from '../../../tracker/web/admin-page.js';
import type { TakedownInfo } from '../../../common/protocol/takedowns.js';
import { loadWebAssets } from '../../../tracker/web/assets.js';
import { renderPage } from '../../../tracker/web/layout.js';
import { html } from '../../../tracker/web/html.js';

const assets = loadWebAssets(mkdtempSync(join(tmpdir(), 'hoard-web-')));
const GiB = 1024 ** 3;

const node = (id: string, zone: string, over: Partial<NodeStatus> = {}): NodeStatus => ({
  id,
  zone,
  publicUrl: `http://${id}:9000`,
  freeBytes: 60 * GiB,
  totalBytes: 100 * GiB,
  state: 'up',
  lastSeen: '2026-12-03T12:00:00.000Z',
  load: 0,
  blobCount: 0,
  ...over,
});

const stats: ClusterStats = { blobs: 3, links: 5, bytesStored: 6 * GiB, logicalBytes: 4 * GiB, bytesSavedByDedup: GiB, nodesUp: 2, nodesDown: 1 };
const repair: RepairStatus = {
  replicas: 2,
  graceMs: 300_000,
  counts: { blobs: 3, belowFactor: 1, waiting: 1, unavailable: 0, noTarget: 0, copies: 0, drops: 0, forgets: 0, busy: 0, badCopies: 0, badWaiting: 0 },
  holds: {},
  inFlight: [],
  totals: { copied: 7, copyFailures: 0, bytesCopied: 7 * GiB, dropped: 0, forgotten: 0, adopted: 0 },
};

t.test('zones and nodes in name order', async (t) => {
  const z = byZone([node('n3', 'b'), node('n2', 'a'), node('n1', 'b')]);
  t.same(
    z.map(([zone, ns]) => [zone, ns.map((n) => n.id)]),
    [
      ['a', ['n2']],
      ['b', ['n1', 'n3']],
    ],
  );
  t.same(byZone([]), []);
});

t.test('fill in percent of the disk, bounded', async (t) => {
  const cases: Array<[number, number, number]> = [
    [60, 100, 40],
    [0, 100, 100],
    [100, 100, 0],
    [5, 0, 0], // no size reported
    [120, 100, 0], // free above total (a shrinking disk): never negative
  ];
  for (const [free, total, want] of cases) t.equal(fillPercent({ freeBytes: free, totalBytes: total }), want, `${free} free of ${total}`);
});

t.test('state in words', async (t) => {
  t.equal(stateText(node('n1', 'a')), 'up');
  t.equal(stateText(node('n1', 'a', { draining: true, late: true })), 'up (draining, heartbeat late)');
  t.equal(stateText(node('n1', 'a', { state: 'down', downSince: '2026-12-03T11:00:00.000Z' })), 'down since 2026-12-03 11:00 UTC');
});

t.test('the page: every node, its zone, the totals, escaped', async (t) => {
  const nodes = [node('n1', 'a', { blobCount: 1234 }), node('n2', 'b', { state: 'down', downSince: '2026-12-03T11:00:00.000Z' }), node('n3', '<b>', {})];
  const page = renderAdminPage({ assets, visitor: { name: 'root', admin: true } }, { nodes, stats, repair, takedowns: [] });
  t.match(page, /Zone <strong>a<\/strong>: 1 of 1 up/);
  t.match(page, /Zone <strong>b<\/strong>: 0 of 1 up/);
  t.match(page, /Zone <strong>&lt;b&gt;<\/strong>/, 'a zone name is text, not markup');
  t.match(page, /<code>n2<\/code>[\s\S]*down since 2026-12-03 11:00 UTC/);
  t.match(page, /value="40"/, 'fill meter');
  t.match(page, /1,234/);
  t.match(page, /Saved by deduplication<\/dt><dd>1\.00 GiB \(25\.0 % of what was uploaded\)/);
  t.match(page, /Below 2 copies<\/dt><dd>1 <span class="muted">\(1 waiting/);
  t.match(page, /<meta name="robots" content="noindex">/);
  t.match(page, /aria-current="page">Cluster</, 'the navigation marks the page');
  t.match(page, /No takedown notice is in force/);
});

t.test('the page: takedown notices in force, with what happens to their bytes, escaped', async (t) => {
  const notice = (id: string, more: Partial<TakedownInfo>): TakedownInfo => ({
    id,
    scope: 'content',
    target: 'ab'.repeat(32),
    reason: 'copyright <script>',
    by: 'legal',
    created: '2026-12-03T10:00:00.000Z',
    keep: false,
    uploaders: [],
    inForce: true,
    ...more,
  });
  const takedowns = [notice('0011223344556677', { ref: 'DMCA-1', purgeAfter: '2027-01-02T10:00:00.000Z' }), notice('8899aabbccddeeff', { scope: 'link', target: 'L1nk', keep: true })];
  const page = renderAdminPage({ assets, visitor: { name: 'root', admin: true } }, { nodes: [], stats, repair, takedowns });
  t.match(page, /2 notices in force/);
  t.match(page, /DMCA-1/);
  t.match(page, /copyright &lt;script&gt;/, 'a reason is text, not markup');
  t.match(page, /links deleted after 2027-01-02 10:00 UTC/);
  t.match(page, /kept \(legal hold\)/);
  t.match(page, /<code>abababababababababababa…<\/code>/, 'a long target is cut');
  t.equal(bytesText({ keep: false, purged: '2027-01-02T10:00:00.000Z' }), 'links deleted 2027-01-02 10:00 UTC');
});

t.test('the Cluster entry is shown to administrators only', async (t) => {
  const page = (visitor?: { name: string; admin?: boolean }) => renderPage({ assets, visitor }, { title: 'x', main: html`` });
  t.notMatch(page(), /href="\/admin"/, 'anonymous');
  t.notMatch(page({ name: 'ann' }), /href="\/admin"/, 'a user');
  t.match(page({ name: 'root', admin: true }), /href="\/admin"/, 'an administrator');
});
