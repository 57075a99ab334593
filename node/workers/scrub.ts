// scrub: re-reads every chunk on this node at a limited rate and checks it
// against the manifest's SHA-256; a bad copy is quarantined and reported.
// Each run also resends reports the tracker missed and drops quarantined
// copies past their keep time. Idempotent: a run only reads, and what it
// finds bad is withdrawn once.
import type { Worker } from '../../common/worker.js';
import { rateLimiter } from '../store/chunk-verifier.js';
import type { Integrity } from '../integrity/integrity.js';
import { nodeMetrics } from '../metrics.js';

export function scrubWorker(schedule: string): Worker<Integrity> {
  return {
    name: 'scrub',
    schedule,
    async runOnce(ctx, progress) {
      const bytesTotal = nodeMetrics.scrubBytes();
      const chunksTotal = nodeMetrics.scrubChunks();
      const reportsResent = await ctx.corruption.flush();
      const quarantineDropped = await ctx.store.dropQuarantined({ olderThanMs: ctx.settings.quarantineKeepMs }, ctx.now());
      const throttle = rateLimiter(ctx.settings.scrubRate);
      let blobs = 0;
      let chunks = 0;
      let bytes = 0;
      let badChunks = 0;
      let badBlobs = 0;
      // The count at the start: blobs arriving meanwhile may push `done` past it.
      const total = ctx.store.count();
      progress?.({ done: 0, total, unit: 'blobs' });
      for await (const id of ctx.store.list()) {
        if (ctx.signal?.aborted) break;
        progress?.({ done: blobs, total: Math.max(total, blobs), unit: 'blobs' });
        const r = await ctx.store.verify(id, { force: true, throttle });
        if (!r) continue; // removed meanwhile
        blobs++;
        chunks += r.chunks;
        bytes += r.bytes;
        chunksTotal.inc(r.chunks);
        bytesTotal.inc(r.bytes);
        if (r.bad.length > 0) {
          badBlobs++;
          badChunks += r.bad.length;
          await ctx.corruption.handle(id, r.bad, 'scrub');
        }
      }
      if (badBlobs > 0) ctx.log.warn({ blobs, badBlobs, badChunks }, 'scrub found bad copies');
      return { blobs, chunks, bytes, badBlobs, badChunks, reportsResent, quarantineDropped };
    },
  };
}
