// The operator's page at /admin (administrators only): storage nodes by
// zone with their state, fill and load; what deduplication saves; the
// repair backlog; the takedown notices in force. The same figures
// `hoard-admin nodes`, `stats`, `repair` and `takedown list` print, for a
// browser.
import { formatBytes } from '../../common/cli.js';
import type { TakedownInfo } from '../../common/protocol/takedowns.js';
import type { ClusterStats, NodeStatus, RepairStatus } from '../../common/protocol/types.js';
import { html, type Html } from './html.js';
import { renderPage, type Shell } from './layout.js';
import { formatDate } from './link-page.js';

export interface AdminView {
  nodes: readonly NodeStatus[];
  stats: ClusterStats;
  repair: RepairStatus;
  /** The takedown notices in force, oldest first. */
  takedowns: readonly TakedownInfo[];
}

/** Nodes grouped by zone, zones and nodes in name order. */
export function byZone(nodes: readonly NodeStatus[]): Array<[string, NodeStatus[]]> {
  const zones = new Map<string, NodeStatus[]>();
  for (const n of nodes) zones.set(n.zone, [...(zones.get(n.zone) ?? []), n]);
  return [...zones.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([z, ns]) => [z, ns.sort((a, b) => a.id.localeCompare(b.id))]);
}

/** Used share of a node's disk, 0–100 (0 when it reported no size). */
export function fillPercent(n: Pick<NodeStatus, 'freeBytes' | 'totalBytes'>): number {
  if (n.totalBytes <= 0) return 0;
  return Math.min(100, Math.max(0, Math.round(((n.totalBytes - n.freeBytes) / n.totalBytes) * 100)));
}

/** The state in words, with what qualifies it. */
export function stateText(n: NodeStatus): string {
  if (n.state === 'down') return n.downSince ? `down since ${formatDate(n.downSince)}` : 'down';
  const notes = [n.draining ? 'draining' : '', n.late ? 'heartbeat late' : ''].filter(Boolean);
  return notes.length > 0 ? `up (${notes.join(', ')})` : 'up';
}

function nodeRow(n: NodeStatus): Html {
  const fill = fillPercent(n);
  return html`<tr class="${n.state === 'down' ? 'down' : ''}">
<th scope="row"><code>${n.id}</code></th>
<td><span class="state ${n.state}">${stateText(n)}</span></td>
<td><meter min="0" max="100" low="70" high="90" optimum="0" value="${fill}" aria-label="disk used on ${n.id}">${fill}%</meter> ${fill}% <span class="muted">(${formatBytes(n.freeBytes)} free of ${formatBytes(n.totalBytes)})</span></td>
<td>${n.load}</td>
<td>${n.blobCount.toLocaleString('en-US')}</td>
</tr>`;
}

function zoneTable([zone, nodes]: [string, NodeStatus[]]): Html {
  const up = nodes.filter((n) => n.state === 'up').length;
  return html`<div class="table-wrap">
<table>
<caption>Zone <strong>${zone}</strong>: ${up} of ${nodes.length} up</caption>
<thead><tr><th scope="col">Node</th><th scope="col">State</th><th scope="col">Disk</th><th scope="col">Transfers</th><th scope="col">Blobs</th></tr></thead>
<tbody>${nodes.map(nodeRow)}</tbody>
</table>
</div>`;
}

/** What a notice does to the bytes it covers, in words. */
export function bytesText(n: Pick<TakedownInfo, 'keep' | 'purged' | 'purgeAfter'>): string {
  if (n.keep) return 'kept (legal hold)';
  if (n.purged) return `links deleted ${formatDate(n.purged)}`;
  return n.purgeAfter ? `links deleted after ${formatDate(n.purgeAfter)}` : '';
}

function noticeRow(n: TakedownInfo): Html {
  return html`<tr>
<th scope="row"><code>${n.id}</code></th>
<td>${n.scope}</td>
<td><code>${n.target.length > 24 ? `${n.target.slice(0, 23)}…` : n.target}</code></td>
<td>${n.ref ?? html`<span class="muted">none</span>`}</td>
<td>${n.reason}</td>
<td>${n.by}, ${formatDate(n.created)}</td>
<td>${bytesText(n)}</td>
</tr>`;
}

function takedownsSection(notices: readonly TakedownInfo[]): Html {
  return html`<section aria-labelledby="takedowns-title">
<h2 id="takedowns-title">Takedowns</h2>
${
  notices.length === 0
    ? html`<p class="muted">No takedown notice is in force.</p>`
    : html`<div class="table-wrap">
<table>
<caption>${notices.length} ${notices.length === 1 ? 'notice' : 'notices'} in force (<code>hoard-admin takedown list</code>, <code>lift</code>)</caption>
<thead><tr><th scope="col">Notice</th><th scope="col">Scope</th><th scope="col">Target</th><th scope="col">Reference</th><th scope="col">Reason</th><th scope="col">Issued</th><th scope="col">Bytes</th></tr></thead>
<tbody>${notices.map(noticeRow)}</tbody>
</table>
</div>`
}
</section>`;
}

export function renderAdminPage(shell: Shell, view: AdminView): string {
  const { stats, repair } = view;
  const c = repair.counts;
  const saved = stats.logicalBytes > 0 ? ` (${((stats.bytesSavedByDedup / stats.logicalBytes) * 100).toFixed(1)} % of what was uploaded)` : '';
  const zones = byZone(view.nodes);
  const main = html`<h1>Cluster</h1>
<section aria-labelledby="nodes-title">
<h2 id="nodes-title">Storage nodes</h2>
<p>${stats.nodesUp} up, ${stats.nodesDown} down, in ${zones.length} ${zones.length === 1 ? 'zone' : 'zones'}.</p>
${zones.length === 0 ? html`<p class="muted">No storage node has registered yet.</p>` : zones.map(zoneTable)}
</section>
<section aria-labelledby="dedup-title">
<h2 id="dedup-title">Storage and deduplication</h2>
<dl class="facts">
<dt>Links</dt><dd>${stats.links.toLocaleString('en-US')}</dd>
<dt>Stored contents</dt><dd>${stats.blobs.toLocaleString('en-US')}</dd>
<dt>Uploaded</dt><dd>${formatBytes(stats.logicalBytes)}</dd>
<dt>Saved by deduplication</dt><dd>${formatBytes(stats.bytesSavedByDedup)}${saved}</dd>
<dt>On disk, all copies</dt><dd>${formatBytes(stats.bytesStored)}</dd>
</dl>
</section>
<section aria-labelledby="repair-title">
<h2 id="repair-title">Repair</h2>
<dl class="facts">
<dt>Below ${repair.replicas} ${repair.replicas === 1 ? 'copy' : 'copies'}</dt><dd>${c.belowFactor.toLocaleString('en-US')}${c.waiting > 0 ? html` <span class="muted">(${c.waiting} waiting for a node inside its grace period)</span>` : ''}</dd>
<dt>Damaged copies</dt><dd>${c.badCopies.toLocaleString('en-US')}</dd>
<dt>No live copy</dt><dd>${c.unavailable.toLocaleString('en-US')}</dd>
<dt>No node can take a copy</dt><dd>${c.noTarget.toLocaleString('en-US')}</dd>
<dt>Copies planned</dt><dd>${c.copies.toLocaleString('en-US')}</dd>
<dt>Running now</dt><dd>${repair.inFlight.length}</dd>
<dt>Copied since start</dt><dd>${repair.totals.copied.toLocaleString('en-US')} (${formatBytes(repair.totals.bytesCopied)}), ${repair.totals.copyFailures} failed</dd>
</dl>
</section>
${takedownsSection(view.takedowns)}`;
  return renderPage({ ...shell, current: 'admin' }, { title: 'Cluster', main, noindex: true });
}
