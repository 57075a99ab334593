// orphans: deletes copies of blobs the tracker does not know (an upload
// whose commit never happened, a copy GC could not reach while this node was
// down) once they have been unknown for the grace period. A copy the tracker
// lists, or knows as an extra or bad copy, is never touched here.
//
// Unknown-since is kept in memory: after a restart every orphan waits a full
// grace period again, which only delays reclaim. If most old copies look
// unknown, the node is probably talking to the wrong (or an emptied) tracker:
// the run refuses to delete anything.
import { COPIES_HELD_MAX } from '../../common/protocol/integrity.js';
import type { Worker } from '../../common/worker.js';
import type { Integrity } from '../integrity/integrity.js';
import { nodeMetrics } from '../metrics.js';

/** Refuse when more than this many copies, and more than half of those checked, are unknown. */
export const ORPHAN_SAFETY_MIN = 10;

export function orphansWorker(schedule: string): Worker<Integrity> {
  const unknownSince = new Map<string, number>();
  return {
    name: 'orphans',
    schedule,
    async runOnce(ctx) {
      const now = ctx.now();
      const grace = ctx.settings.orphanGraceMs;
      let checked = 0;
      const unknown: string[] = [];
      let batch: string[] = [];
      const ask = async () => {
        if (batch.length === 0) return;
        const states = await ctx.copies.held(ctx.nodeId, batch);
        for (const id of batch) {
          if (states[id] === 'unknown') unknown.push(id);
          else unknownSince.delete(id);
        }
        batch = [];
      };
      for await (const id of ctx.store.list()) {
        checked++;
        batch.push(id);
        if (batch.length >= COPIES_HELD_MAX) await ask();
      }
      await ask();
      if (unknown.length > ORPHAN_SAFETY_MIN && unknown.length * 2 > checked) {
        throw new Error(`refusing to reclaim: ${unknown.length} of ${checked} copies are unknown to the tracker (wrong or emptied tracker?)`);
      }
      const seen = new Set(unknown);
      for (const id of unknownSince.keys()) if (!seen.has(id)) unknownSince.delete(id);
      let reclaimed = 0;
      let bytes = 0;
      let waiting = 0;
      for (const id of unknown) {
        if (ctx.signal?.aborted) break;
        const since = unknownSince.get(id) ?? now;
        unknownSince.set(id, since);
        if (now - since < grace) {
          waiting++;
          continue;
        }
        // Asked again under the blob's lock: an upload of the same content may have committed since.
        const size = await ctx.locks.run(id, async () => {
          const state = (await ctx.copies.held(ctx.nodeId, [id]))[id];
          if (state !== 'unknown') return -1;
          const blob = await ctx.store.get(id);
          if (!blob || !(await ctx.store.remove(id))) return -1;
          return blob.manifest.size;
        });
        unknownSince.delete(id);
        if (size < 0) continue;
        reclaimed++;
        bytes += size;
        ctx.log.info({ blob: id, size }, 'orphan copy reclaimed');
      }
      nodeMetrics.orphansReclaimed().inc(reclaimed);
      nodeMetrics.orphanBytes().inc(bytes);
      return { checked, unknown: unknown.length, waiting, reclaimed, bytes };
    },
  };
}
