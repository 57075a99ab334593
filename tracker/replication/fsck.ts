// fsck: compares the index with what each live node holds (index-walk.ts)
// and reports the differences (kinds in common/protocol/integrity.ts). With
// repair, each finding is checked again on its own before anything changes,
// since uploads and GC go on during the walk:
//   missing   → the node really lacks it: it stops being listed as a holder
//   unknown   → the node deletes the copy (it asks the tracker first, under
//               its lock, and refuses copies younger than minOrphanAgeS)
//   unlisted  → the node verifies every chunk; a good copy becomes a holder
//               (a bad one is quarantined and reported by the node)
//   bad, lost, unreachable → reported only (the repair worker acts on them)
// The scheduled worker (workers/fsck.ts) reports only.
import type { JobProgress } from '../../common/protocol/types.js';
import type { Logger } from 'pino';
import type { FsckFinding, FsckKind, FsckReport } from '../../common/protocol/integrity.js';
import type { NodeStatus } from '../../common/protocol/types.js';
import type { NodeApi, NodeApiFactory } from '../cluster/node-client.js';
import type { Topology } from '../cluster/topology.js';
import { changeHolders, restoreCopy } from '../meta/operations.js';
import { each } from '../meta/paging.js';
import { badCopyKey, blobKey, type MetaStore } from '../meta/store.js';
import { walkIndexAndNode } from './index-walk.js';

/** Default minimum age of an unknown copy fsck --repair deletes: well past any commit in flight. */
export const FSCK_MIN_ORPHAN_AGE_S = 600;
/** Findings listed in a report (counts cover all). */
const MAX_LISTED = 10_000;

export interface FsckOptions {
  repair: boolean;
  minOrphanAgeS?: number;
  /** Hears the nodes walked so far, of all the nodes. */
  progress?: (p: JobProgress) => void;
}

export interface FsckDeps {
  store: MetaStore;
  topology: Topology;
  nodeApi: NodeApiFactory;
  log: Logger;
}

/** The differences between the index and one node. */
async function diffNode(store: MetaStore, node: NodeStatus, api: NodeApi): Promise<FsckFinding[]> {
  const out: FsckFinding[] = [];
  for await (const step of walkIndexAndNode(store, api)) {
    if (step.kind === 'node-only') out.push({ kind: 'unknown', node: node.id, blob: step.copy.id, detail: `${step.copy.size} bytes since ${step.copy.mtime}` });
    else if (step.kind === 'index-only') {
      if (step.blob.nodes.includes(node.id)) out.push({ kind: 'missing', node: node.id, blob: step.blob.id });
    } else if (!step.blob.nodes.includes(node.id)) out.push({ kind: 'unlisted', node: node.id, blob: step.blob.id });
  }
  return out;
}

export async function runFsck(deps: FsckDeps, opts: FsckOptions): Promise<FsckReport> {
  const findings: FsckFinding[] = [];
  let nodesChecked = 0;
  const nodes = deps.topology.list();
  for (const [i, node] of nodes.entries()) {
    opts.progress?.({ done: i, total: nodes.length, unit: 'nodes' });
    if (node.state !== 'up') {
      findings.push({ kind: 'unreachable', node: node.id, detail: 'down' });
      continue;
    }
    const api = deps.nodeApi(node);
    try {
      // All or nothing per node: a walk cut short would report false "missing" copies.
      const found = await diffNode(deps.store, node, api);
      nodesChecked++;
      if (opts.repair) for (const f of found) f.action = await repairOne(deps, api, node, f, opts);
      findings.push(...found);
    } catch (err) {
      findings.push({ kind: 'unreachable', node: node.id, detail: (err as Error).message });
    }
  }
  opts.progress?.({ done: nodes.length, total: nodes.length, unit: 'nodes' });
  let blobsChecked = 0;
  for await (const b of each(deps.store.blobs.list, blobKey)) {
    blobsChecked++;
    if (b.nodes.length === 0) findings.push({ kind: 'lost', blob: b.id, detail: `${b.refs} link(s), no holder` });
  }
  for await (const r of each(deps.store.badCopies.list, badCopyKey)) {
    findings.push({ kind: 'bad', node: r.nodeId, blob: r.blobId, detail: `chunks ${r.chunks.slice(0, 10).join(',')} (${r.source}, ${r.reported})` });
  }
  const counts: Partial<Record<FsckKind, number>> = {};
  for (const f of findings) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
  const repaired = findings.filter((f) => f.action).length;
  if (findings.length > 0) deps.log.warn({ counts, repaired, repair: opts.repair }, 'fsck found differences');
  return { repair: opts.repair, nodesChecked, blobsChecked, findings: findings.slice(0, MAX_LISTED), counts, repaired };
}

/** Fixes one finding after checking it again; returns what was done ('' for nothing). */
async function repairOne(deps: FsckDeps, api: NodeApi, node: NodeStatus, f: FsckFinding, opts: FsckOptions): Promise<string> {
  const id = f.blob!;
  try {
    if (f.kind === 'missing') {
      if (await api.stat(id)) return '';
      if (!(await deps.store.blobs.get(id))) return '';
      const { changed } = await changeHolders(deps.store, id, { remove: [node.id] });
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
      const back = await restoreCopy(deps.store, id, node.id);
      return back ? 'verified copy listed as a holder' : '';
    }
  } catch (err) {
    f.detail = `${f.detail ?? ''}; repair failed: ${(err as Error).message}`;
  }
  return '';
}
