// The operator's page at /admin (administrators only): storage nodes by
// zone with their state, fill and load; what deduplication saves; the
// repair backlog. The same figures `hoard-admin nodes`, `stats` and
// `repair` print, for a browser.
import { formatBytes } from '../../common/cli.js';
import type { ClusterStats, NodeStatus, RepairStatus } from '../../common/protocol/types.js';
import { html, type Html } from './html.js';
import { renderPage, type Shell } from './layout.js';
import { formatDate } from './link-page.js';

export interface AdminView {
  nodes: readonly NodeStatus[];
  stats: ClusterStats;
  repair: RepairStatus;
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
</section>`;
  return renderPage({ ...shell, current: 'admin' }, { title: 'Cluster', main, noindex: true });
}
