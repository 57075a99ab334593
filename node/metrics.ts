// The storage node's own Prometheus metrics (request latency and bytes are in common/metrics.ts).
import { counter } from '../common/metrics.js';

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
