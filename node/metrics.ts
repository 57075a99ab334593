// The storage node's own Prometheus metrics (request latency and bytes are in common/metrics.ts).
import type { Counter, Gauge } from 'prom-client';
import { counter, gauge } from '../common/metrics.js';
import { BAD_COPY_SOURCES } from '../common/protocol/integrity.js';
import { TIERS, type Tier } from '../common/protocol/tiers.js';

export const nodeMetrics = {
  scrubBytes: () => counter('hoard_scrub_bytes_total', 'Bytes read and hashed by the scrub'),
  scrubChunks: () => counter('hoard_scrub_chunks_total', 'Chunks checked by the scrub'),
  scrubErrors: () =>
    counter('hoard_scrub_errors_total', 'Chunks found missing, of the wrong size or failing their SHA-256, by where (scrub, read, verify)', ['source']),
  chunkChecks: () => counter('hoard_chunk_checks_total', 'Chunk checks against the manifest, by result (verified: read and hashed; cached: trusted from a recent check; bad)', ['result']),
  quarantined: () => counter('hoard_copies_quarantined_total', 'Copies withdrawn after a chunk failed its check'),
  copiesFetched: () => counter('hoard_copies_fetched_total', 'Copies fetched from another node on the tracker\'s request (replication, repair, rebalance), by result', ['result']),
  orphansReclaimed: () => counter('hoard_orphans_reclaimed_total', 'Copies of blobs the tracker does not know, deleted after the grace period'),
  orphanBytes: () => counter('hoard_orphan_bytes_reclaimed_total', 'Bytes freed by orphan reclaim'),
  pipelineFollowersFailed: () => counter('hoard_pipeline_followers_failed_total', 'Followers of the write pipeline that failed an upload (each one replaced, or the upload failed)'),
  copiesRemoved: () => counter('hoard_copies_removed_total', 'Copies removed on the tracker\'s request (GC, fsck, drops of extra copies)'),
};

/** Every series at 0 from the first scrape, each labelled one with every label value it can take. */
export function registerNodeMetrics(): void {
  for (const make of Object.values(nodeMetrics)) make();
  for (const source of BAD_COPY_SOURCES) nodeMetrics.scrubErrors().inc({ source }, 0);
  for (const result of ['verified', 'cached', 'bad']) nodeMetrics.chunkChecks().inc({ result }, 0);
  for (const result of ['ok', 'failed']) nodeMetrics.copiesFetched().inc({ result }, 0);
  downloadMetrics.init();
}

/** The per-tier download series: bytes sent and downloads running, by the tier the URL's claims name. */
export interface TierDownloads {
  bytes: Counter.Internal;
  active: Gauge.Internal<'tier'>;
}

const tierSeries = new Map<Tier, TierDownloads>();

export const downloadMetrics = {
  of(tier: Tier): TierDownloads {
    let s = tierSeries.get(tier);
    if (!s) {
      const bytes = counter('hoard_download_bytes_total', 'Bytes of downloads sent to users, by the tier signed in the URL (copies between nodes are not counted)', ['tier']);
      const active = gauge('hoard_downloads_active', 'Downloads (responses with a body) being sent to users, by tier', ['tier']);
      s = { bytes: bytes.labels({ tier }), active: active.labels({ tier }) };
      tierSeries.set(tier, s);
    }
    return s;
  },
  /** Every tier's series at 0 from the start, so a dashboard sees them before the first download. */
  init(): void {
    for (const tier of TIERS) {
      const s = downloadMetrics.of(tier);
      s.bytes.inc(0);
      s.active.inc(0);
    }
  },
};
