// gc: deletes blobs that have had no link for gcGrace seconds. Under the
// blob's MD5 transaction (so no commit can link it meanwhile) the record goes from
// the index first, then each holder is asked to delete its copy; a node asks
// back, under its own lock, whether the tracker still knows the blob before
// it deletes, so an upload of the same content racing the GC keeps its
// bytes. Copies on nodes that are down or do not answer become orphans,
// which the node's orphans worker reclaims later. Idempotent.
import type { Worker } from '../../common/worker.js';
import type { TrackerContext } from '../context.js';
import { trackerMetrics } from '../metrics.js';
import { deleteBlob } from '../meta/operations.js';
import { pages } from '../meta/paging.js';
import { blobKey } from '../meta/store.js';

const PAGE = 100;

export function gcWorker(schedule: string): Worker<TrackerContext> {
  return {
    name: 'gc',
    schedule,
    async runOnce(ctx) {
      const api = ctx.nodeApi;
      const graceMs = ctx.config.gcGrace * 1000;
      const now = ctx.now();
      let scanned = 0;
      let waiting = 0;
      let deleted = 0;
      let copiesRemoved = 0;
      let copiesLeft = 0;
      let bytesFreed = 0;
      for await (const page of pages(ctx.store.blobs.unreferenced, blobKey, PAGE)) {
        for (const b of page) {
          scanned++;
          const since = Date.parse(b.unreferencedSince ?? '');
          if (!Number.isFinite(since) || now - since < graceMs) {
            waiting++;
            continue;
          }
          // Checked again inside: a commit of the same content may have linked it meanwhile.
          const gone = await deleteBlob(ctx.store, b.id, { unreferencedOnly: true });
          if (!gone) continue;
          deleted++;
          trackerMetrics.gcBlobs().inc();
          for (const nodeId of new Set([...gone.blob.nodes, ...gone.badNodes])) {
            const node = ctx.topology.get(nodeId);
            if (!node || node.state !== 'up') {
              copiesLeft++;
              continue;
            }
            try {
              const r = await api(node).remove(b.id);
              if ('removed' in r && r.removed) {
                copiesRemoved++;
                bytesFreed += b.size;
              } else if ('inUse' in r) {
                copiesLeft++;
                ctx.log.info({ blob: b.id, node: nodeId, why: r.inUse }, 'gc: node kept its copy');
              }
            } catch (err) {
              copiesLeft++;
              ctx.log.warn({ blob: b.id, node: nodeId, err: (err as Error).message }, 'gc: node did not delete its copy; its orphans worker will');
            }
          }
          ctx.log.info({ blob: b.id, size: b.size, nodes: gone.blob.nodes }, 'gc: blob deleted');
        }
      }
      trackerMetrics.gcBytes().inc(bytesFreed);
      return { scanned, waiting, deleted, copiesRemoved, copiesLeft, bytesFreed };
    },
  };
}
