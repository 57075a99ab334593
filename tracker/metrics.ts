// The tracker's own Prometheus metrics (request latency and bytes are in
// common/metrics.ts). Created on first use; registerTrackerMetrics makes every
// series visible from the first scrape.
import { counter, gauge } from '../common/metrics.js';
import { BAD_COPY_SOURCES, FSCK_KINDS } from '../common/protocol/integrity.js';

/** What a download judged for reward points came to (docs/rewards.md): the ledger's answer, or why it could earn nothing. */
export const REWARD_OUTCOMES = ['awarded', 'duplicate', 'capped', 'no-account', 'anonymous-upload', 'empty', 'too-large', 'country', 'own-account', 'own-address'] as const;

export const trackerMetrics = {
  uploads: () => counter('hoard_uploads_total', 'Uploads committed (each one a new link)'),
  dedupHits: () => counter('hoard_dedup_hits_total', 'Committed uploads whose content was already stored: a new link to the existing blob'),
  uploadsUnderQuorum: () =>
    counter('hoard_uploads_under_quorum_total', 'Uploads acknowledged with copies in fewer zones than the write quorum (ackCopies): accepted under quorum, or a copy lost before the commit'),
  earlyStops: () => counter('hoard_early_stops_total', 'Uploads stopped early as duplicates before all their bytes arrived'),
  underReplicated: () => gauge('hoard_blobs_under_replicated', 'Blobs with fewer live, verified copies than their replication factor (recounted when a node goes down or comes back, and at each repair scan)'),
  repairBacklog: () =>
    gauge('hoard_repair_backlog', 'Repair work waiting, by kind (copy, drop, forget: from the last repair scan; bad_copy: copies reported failing their checksum)', ['kind']),
  replicationBytes: () => counter('hoard_replication_bytes_total', 'Bytes copied node to node by replication, repair and rebalance'),
  replicationCopies: () => counter('hoard_replication_copies_total', 'Node-to-node copies by reason and result', ['why', 'result']),
  replicasInFlight: () => gauge('hoard_replication_in_flight', 'Node-to-node copies running now'),
  badCopies: () => counter('hoard_bad_copies_reported_total', 'Copies nodes reported failing their checksums, by where it was found (scrub, read, verify)', ['source']),
  copyRepairs: () => counter('hoard_copy_repairs_total', 'Bad copies re-copied from a good copy, by result (ok, failed)', ['result']),
  linksDeleted: () => counter('hoard_links_deleted_total', 'Links deleted'),
  downloadsComplete: () => counter('hoard_downloads_complete_total', 'Complete downloads counted for their links (once per downloader, link and UTC day; docs/web.md)'),
  downloadCountWrites: () => counter('hoard_download_count_writes_total', 'Batches of download counts added to the store, by result (ok, failed: kept for the next batch)', ['result']),
  gcBlobs: () => counter('hoard_gc_blobs_deleted_total', 'Blobs without links deleted after their grace period'),
  gcBytes: () => counter('hoard_gc_bytes_freed_total', 'Bytes freed on nodes by GC (blob size for each copy removed)'),
  rewardDownloads: () =>
    counter(
      'hoard_reward_downloads_total',
      'Downloads judged for reward points, by outcome: awarded, duplicate (that file, address and day had its point), capped, no-account; or why they could earn none (anonymous-upload, empty, too-large, country, own-account, own-address)',
      ['outcome'],
    ),
  fsckDifferences: () => gauge('hoard_fsck_differences', 'Differences between the index and the nodes at the last fsck, by kind', ['kind']),
};

/** Every series at 0 from the first scrape, each labelled one with every label value it can take. */
export function registerTrackerMetrics(): void {
  for (const make of Object.values(trackerMetrics)) make();
  for (const kind of ['copy', 'drop', 'forget', 'bad_copy']) trackerMetrics.repairBacklog().set({ kind }, 0);
  for (const why of ['missing', 'bad', 'zone', 'rebalance']) for (const result of ['ok', 'failed']) trackerMetrics.replicationCopies().inc({ why, result }, 0);
  for (const source of BAD_COPY_SOURCES) trackerMetrics.badCopies().inc({ source }, 0);
  for (const result of ['ok', 'failed']) trackerMetrics.copyRepairs().inc({ result }, 0);
  for (const kind of FSCK_KINDS) trackerMetrics.fsckDifferences().set({ kind }, 0);
  for (const outcome of REWARD_OUTCOMES) trackerMetrics.rewardDownloads().inc({ outcome }, 0);
  for (const result of ['ok', 'failed']) trackerMetrics.downloadCountWrites().inc({ result }, 0);
}
