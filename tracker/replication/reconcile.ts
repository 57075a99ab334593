// A node's disk against the index (walked side by side, index-walk.ts). A
// listed copy the node lacks is forgotten; a copy the index does not list is
// adopted after the node re-verifies it when the blob needs a copy there,
// else deleted once older than reconcileMinAge; blobs the index does not know
// at all are counted and left to garbage collection.
import { request } from 'undici';
import { NODE } from '../../common/protocol/routes.js';
import { signUrl } from '../../common/sign.js';
import { changeHolders } from '../meta/operations.js';
import type { Executor, ExecutorDeps } from './executor.js';
import { walkIndexAndNode } from './index-walk.js';
import type { PlanInputs } from './plan-inputs.js';
import type { Triggers } from './triggers.js';

export interface ReconcileDeps extends ExecutorDeps {
  executor: Pick<Executor, 'busy' | 'deleteOn' | 'adopted'>;
  triggers: Pick<Triggers, 'blobChanged'>;
  plan: Pick<PlanInputs, 'wantsCopy'>;
}

export interface ReconcileReport {
  checked: number;
  adopted: number;
  extraRemoved: number;
  staleForgotten: number;
  unknown: number;
  [k: string]: number;
}

export async function reconcileNode(deps: ReconcileDeps, nodeId: string): Promise<ReconcileReport> {
  const { topology, store, config, log, executor } = deps;
  const report: ReconcileReport = { checked: 0, adopted: 0, extraRemoved: 0, staleForgotten: 0, unknown: 0 };
  const node = topology.get(nodeId);
  if (!node || node.state !== 'up') return report;
  const api = deps.nodeApi(node);
  for await (const step of walkIndexAndNode(store, api)) {
    if (step.kind === 'node-only') {
      report.unknown++;
      continue;
    }
    const rec = step.blob;
    if (step.kind === 'index-only') {
      // Confirmed by asking the node: a copy may have landed after its list was read.
      if (rec.nodes.includes(nodeId) && !executor.busy().has(rec.id) && !(await holds(deps, node.publicUrl, rec.id))) {
        await changeHolders(store, rec.id, { remove: [nodeId] });
        report.staleForgotten++;
        deps.triggers.blobChanged(rec.id);
        log.warn({ blob: rec.id, node: nodeId }, 'index listed a copy the node does not have');
      }
      continue;
    }
    const mtime = Date.parse(step.copy.mtime) || 0;
    report.checked++;
    if (rec.nodes.includes(nodeId) || executor.busy().has(rec.id)) continue;
    if (deps.plan.wantsCopy(rec, nodeId)) {
      // A bad copy is quarantined and reported by the node itself.
      const v = await api.verify(rec.id).catch((err: unknown) => {
        log.warn({ blob: rec.id, node: nodeId, err: (err as Error).message }, 'cannot verify an extra copy');
        return undefined;
      });
      if (v && v.bad.length === 0 && v.sha256 === rec.sha256 && v.md5 === rec.md5 && v.size === rec.size) {
        await changeHolders(store, rec.id, { add: [nodeId] });
        report.adopted++;
        executor.adopted();
        log.info({ blob: rec.id, node: nodeId }, 'extra copy verified and adopted');
      }
    } else if (deps.now() - mtime >= config.reconcileMinAge) {
      await executor.deleteOn(nodeId, rec.id);
      report.extraRemoved++;
      log.info({ blob: rec.id, node: nodeId }, 'extra copy removed');
    }
  }
  return report;
}

/** Whether a node has a blob, by a HEAD of a signed download URL (true when unsure). */
async function holds(deps: Pick<ReconcileDeps, 'config' | 'now'>, base: string, blobId: string): Promise<boolean> {
  const exp = Math.floor(deps.now() / 1000) + 60;
  const url = signUrl(deps.config.secret, base + NODE.blob + blobId, { verb: 'GET', resource: blobId, exp, extra: '' });
  try {
    const res = await request(url, { method: 'HEAD', headersTimeout: 10_000, bodyTimeout: 10_000 });
    await res.body.dump();
    return res.statusCode !== 404;
  } catch {
    return true;
  }
}
