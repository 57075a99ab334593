// scrub-repair: re-copies each copy a node reported bad from a good copy on
// another live node, onto the same node (copy-from: the node fetches a
// signed URL and keeps the bytes only if their SHA-256 is the blob id), then
// lists that node as a holder again. A record waits while its node is down
// or no good copy is live; it goes when the blob is deleted. One copy at a
// time, so repair traffic stays small next to user traffic.
//
// This is the minimal repair the scrub needs; re-replication after node loss
// is the replication worker's job.
import { NODE } from '../../common/protocol.js';
import { signUrl } from '../../common/sign.js';
import type { Worker } from '../../common/worker.js';
import type { TrackerContext } from '../context.js';
import { trackerMetrics } from '../metrics.js';
import { nodeApiFactory } from '../node-client.js';
import { chooseReadNode } from '../placement.js';
import { refreshBacklog } from '../routes/copies.js';

const PAGE = 100;
/** Time allowed for a copy: a minute, plus the size at 10 MB/s. */
const copyTimeoutMs = (size: number) => 60_000 + Math.ceil(size / 10_000);

export function scrubRepairWorker(schedule: string): Worker<TrackerContext> {
  return {
    name: 'scrub-repair',
    schedule,
    async runOnce(ctx) {
      const api = ctx.nodeApi ?? nodeApiFactory(ctx.config.secret);
      const repairs = trackerMetrics.copyRepairs();
      let repaired = 0;
      let failed = 0;
      let nodeDown = 0;
      let noGoodCopy = 0;
      let dropped = 0;
      let after: string | undefined;
      for (;;) {
        const page = await ctx.store.listBadCopies(after === undefined ? { limit: PAGE } : { limit: PAGE, after });
        if (page.length === 0) break;
        const last = page[page.length - 1]!;
        after = `${last.blobId}:${last.nodeId}`;
        for (const rec of page) {
          const blob = await ctx.store.getBlob(rec.blobId);
          if (!blob || blob.nodes.includes(rec.nodeId)) {
            // Deleted, or a holder again by other means (a fresh upload adopted there).
            await ctx.store.dropBadCopy(rec.blobId, rec.nodeId);
            dropped++;
            continue;
          }
          const target = ctx.topology.get(rec.nodeId);
          if (!target || target.state !== 'up') {
            nodeDown++;
            continue;
          }
          const source = chooseReadNode(ctx.topology.list(), blob.nodes, ctx.random);
          if (!source) {
            noGoodCopy++;
            continue;
          }
          const exp = Math.floor(ctx.now() / 1000) + ctx.config.urlTtl;
          const url = signUrl(ctx.config.secret, source.publicUrl + NODE.blob + blob.id, { verb: 'GET', resource: blob.id, exp, extra: '' });
          try {
            await api(target).copyFrom(blob.id, { source: url, size: blob.size }, copyTimeoutMs(blob.size));
            const back = await ctx.committer.exclusive(blob.md5, () => ctx.store.restoreCopy(blob.id, rec.nodeId));
            if (back) {
              repaired++;
              repairs.inc({ result: 'ok' });
              ctx.log.info({ blob: blob.id, node: rec.nodeId, from: source.id, holders: back.nodes }, 'bad copy repaired');
            }
          } catch (err) {
            failed++;
            repairs.inc({ result: 'failed' });
            ctx.log.warn({ blob: blob.id, node: rec.nodeId, from: source.id, err: (err as Error).message }, 'bad copy not repaired; next run tries again');
          }
        }
      }
      const backlog = await refreshBacklog(ctx);
      return { repaired, failed, nodeDown, noGoodCopy, dropped, backlog };
    },
  };
}
