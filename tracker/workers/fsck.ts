// fsck: compares the index with what each live node holds, by walking both
// in blob-id order side by side (no full listing in memory), and reports the
// differences (kinds in common/integrity.ts). With repair, each finding is
// checked again on its own before anything changes, since uploads and GC go
// on during the walk:
//   missing   → the node really lacks it: it stops being listed as a holder
//   unknown   → the node deletes the copy (it asks the tracker first, under
//               its lock, and refuses copies younger than minOrphanAgeS)
//   unlisted  → the node verifies every chunk; a good copy becomes a holder
//               (a bad one is quarantined and reported by the node)
//   bad, lost, unreachable → reported only (the repair worker acts on them)
// The scheduled worker reports only and sets hoard_fsck_differences.
import type { FsckFinding, FsckKind, FsckReport, NodeBlobEntry } from '../../common/protocol/integrity.js';
import type { NodeStatus } from '../../common/protocol/types.js';
import type { Worker } from '../../common/worker.js';
import type { TrackerContext } from '../context.js';
import { badCopyKey, blobKey } from '../meta/store.js';
import { changeHolders, restoreCopy } from '../meta/operations.js';
import { each } from '../meta/paging.js';
import { trackerMetrics } from '../metrics.js';
import { nodeApiFactory, type NodeApi } from '../cluster/node-client.js';

/** Default minimum age of an unknown copy fsck --repair deletes: well past any commit in flight. */
export const FSCK_MIN_ORPHAN_AGE_S = 600;
/** Findings listed in a report (counts cover all). */
const MAX_LISTED = 10_000;

export interface FsckOptions {
  repair: boolean;
  minOrphanAgeS?: number;
}

const trackerBlobs = (ctx: TrackerContext) => each(ctx.store.blobs.list, blobKey);
const nodeBlobs = (api: NodeApi) => each<NodeBlobEntry>((p) => api.list(p.after, p.limit), (e) => e.id);

/** The differences between the index and one node, by a merge of the two id-ordered walks. */
async function diffNode(ctx: TrackerContext, node: NodeStatus, api: NodeApi): Promise<FsckFinding[]> {
  const out: FsckFinding[] = [];
  const tIt = trackerBlobs(ctx);
  const nIt = nodeBlobs(api);
  let t = await tIt.next();
  let n = await nIt.next();
  while (!t.done || !n.done) {
    if (!n.done && (t.done || n.value.id < t.value.id)) {
      out.push({ kind: 'unknown', node: node.id, blob: n.value.id, detail: `${n.value.size} bytes since ${n.value.mtime}` });
      n = await nIt.next();
    } else if (!t.done && (n.done || t.value.id < n.value.id)) {
      if (t.value.nodes.includes(node.id)) out.push({ kind: 'missing', node: node.id, blob: t.value.id });
      t = await tIt.next();
    } else if (!t.done && !n.done) {
      if (!t.value.nodes.includes(node.id)) out.push({ kind: 'unlisted', node: node.id, blob: t.value.id });
      t = await tIt.next();
      n = await nIt.next();
    }
  }
  return out;
}

export async function runFsck(ctx: TrackerContext, opts: FsckOptions): Promise<FsckReport> {
  const apiOf = ctx.nodeApi ?? nodeApiFactory(ctx.config.secret);
  const findings: FsckFinding[] = [];
  let nodesChecked = 0;
  for (const node of ctx.topology.list()) {
    if (node.state !== 'up') {
      findings.push({ kind: 'unreachable', node: node.id, detail: 'down' });
      continue;
    }
    const api = apiOf(node);
    try {
      // All or nothing per node: a walk cut short would report false "missing" copies.
      const found = await diffNode(ctx, node, api);
      nodesChecked++;
      if (opts.repair) for (const f of found) f.action = await repairOne(ctx, api, node, f, opts);
      findings.push(...found);
    } catch (err) {
      findings.push({ kind: 'unreachable', node: node.id, detail: (err as Error).message });
    }
  }
  let blobsChecked = 0;
  for await (const b of trackerBlobs(ctx)) {
    blobsChecked++;
    if (b.nodes.length === 0) findings.push({ kind: 'lost', blob: b.id, detail: `${b.refs} link(s), no holder` });
  }
  for await (const r of each(ctx.store.badCopies.list, badCopyKey)) {
    findings.push({ kind: 'bad', node: r.nodeId, blob: r.blobId, detail: `chunks ${r.chunks.slice(0, 10).join(',')} (${r.source}, ${r.reported})` });
  }
  const counts: Partial<Record<FsckKind, number>> = {};
  for (const f of findings) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
  const repaired = findings.filter((f) => f.action).length;
  if (findings.length > 0) ctx.log.warn({ counts, repaired, repair: opts.repair }, 'fsck found differences');
  return { repair: opts.repair, nodesChecked, blobsChecked, findings: findings.slice(0, MAX_LISTED), counts, repaired };
}

/** Fixes one finding after checking it again; returns what was done ('' for nothing). */
async function repairOne(ctx: TrackerContext, api: NodeApi, node: NodeStatus, f: FsckFinding, opts: FsckOptions): Promise<string> {
  const id = f.blob!;
  try {
    if (f.kind === 'missing') {
      if (await api.stat(id)) return '';
      if (!(await ctx.store.blobs.get(id))) return '';
      const { changed } = await changeHolders(ctx.store, id, { remove: [node.id] });
      return changed ? 'no longer listed as a holder' : '';
    }
    if (f.kind === 'unknown') {
      const r = await api.remove(id, { minAgeS: opts.minOrphanAgeS ?? FSCK_MIN_ORPHAN_AGE_S });
      if ('inUse' in r) {
        f.detail = `${f.detail ?? ''}; kept: ${r.inUse}`;
        return '';
      }
      return r.removed ? 'copy deleted' : '';
    }
    if (f.kind === 'unlisted') {
      const check = await api.verify(id);
      if (!check) return '';
      if (check.bad.length > 0) return `copy bad (chunks ${check.bad.slice(0, 10).join(',')}): quarantined by the node`;
      const back = await restoreCopy(ctx.store, id, node.id);
      return back ? 'verified copy listed as a holder' : '';
    }
  } catch (err) {
    f.detail = `${f.detail ?? ''}; repair failed: ${(err as Error).message}`;
  }
  return '';
}

export function fsckWorker(schedule: string): Worker<TrackerContext> {
  return {
    name: 'fsck',
    schedule,
    async runOnce(ctx) {
      const r = await runFsck(ctx, { repair: false });
      const g = trackerMetrics.fsckDifferences();
      const kinds: FsckKind[] = ['missing', 'unknown', 'unlisted', 'bad', 'lost', 'unreachable'];
      for (const k of kinds) g.set({ kind: k }, r.counts[k] ?? 0);
      return { nodesChecked: r.nodesChecked, blobsChecked: r.blobsChecked, ...Object.fromEntries(kinds.map((k) => [k, r.counts[k] ?? 0])) };
    },
  };
}
