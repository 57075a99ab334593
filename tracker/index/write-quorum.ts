// The write quorum: an upload is acknowledged only once it is durable on
// `ackCopies` nodes in distinct zones (at most `replicas`). Here the tracker
// places an upload with its followers, picks a replacement for a follower
// that failed, and counts the uploads it acknowledged with fewer copies (the
// `accept` policy).
import type { Logger } from 'pino';
import { HoardError } from '../../common/protocol/errors.js';
import type { NodeStatus, PeerNode } from '../../common/protocol/types.js';
import { chooseInNewZone, choosePipeline, PLACEMENT_REFUSALS, type PlacementRequest } from '../cluster/placement.js';
import type { TrackerConfig } from '../config.js';
import { trackerMetrics } from '../metrics.js';

export type QuorumConfig = Pick<TrackerConfig, 'ackCopies' | 'replicas' | 'underQuorum'>;

/** Copies an upload needs before it is acknowledged: ackCopies, never more than replicas. */
export function quorumOf(config: Pick<TrackerConfig, 'ackCopies' | 'replicas'>): number {
  return Math.max(1, Math.min(config.ackCopies, config.replicas));
}

export const peerOf = (n: Pick<NodeStatus, 'id' | 'publicUrl'>): PeerNode => ({ id: n.id, url: n.publicUrl });

export interface PlacedUpload {
  first: NodeStatus;
  /** The pipeline's other nodes, each in its own zone; fewer than quorum - 1 only when accepted under quorum. */
  followers: PeerNode[];
}

/**
 * Where an upload goes. Throws NO_NODE_AVAILABLE when no node can take it,
 * and QUORUM_UNAVAILABLE when fewer zones can than the quorum needs and the
 * policy is `refuse`; with `accept` the upload goes on with the followers
 * found (the commit counts it).
 */
export function placeUpload(config: QuorumConfig, req: PlacementRequest, log: Logger): PlacedUpload {
  const quorum = quorumOf(config);
  const d = choosePipeline(req, quorum);
  if (!d.ok) {
    log.warn({ reason: d.reason, size: req.size }, d.detail);
    throw new HoardError('NO_NODE_AVAILABLE', PLACEMENT_REFUSALS[d.reason]);
  }
  const zones = d.followers.length + 1;
  if (zones < quorum && config.underQuorum === 'refuse') {
    log.warn({ size: req.size, quorum, zones }, 'upload refused: fewer zones can take it than the write quorum');
    throw new HoardError('QUORUM_UNAVAILABLE', `${quorum} copies in distinct zones are needed before an upload is acknowledged, and fewer zones can take one now`);
  }
  return { first: d.first, followers: d.followers.map(peerOf) };
}

/**
 * A node to replace a failed follower: in a zone neither the first node nor
 * the followers kept are in, never a node that failed this upload. When
 * there is none the upload fails with PIPELINE_FAILED, whatever the
 * under-quorum policy: that policy decides at placement, when the client has
 * not sent a byte; a copy lost mid-upload is never acknowledged silently.
 */
export function replaceFollower(req: PlacementRequest, taken: readonly NodeStatus[], log: Logger): PeerNode {
  const node = chooseInNewZone({ ...req, exclude: [...(req.exclude ?? []), ...taken.map((n) => n.id)] }, taken.map((n) => n.zone));
  if (node) return peerOf(node);
  log.warn({ size: req.size, zones: taken.map((n) => n.zone), failed: req.exclude }, 'follower lost and no other zone can take the upload: refused');
  throw new HoardError('PIPELINE_FAILED', 'a copy of this upload failed and no node in another zone can take its place; nothing was acknowledged');
}

/** Distinct zones among `holders` (nodes the topology does not know count for none). */
export function zonesOf(holders: readonly string[], zoneOf: (id: string) => string | undefined): number {
  const zones = new Set<string>();
  for (const id of holders) {
    const z = zoneOf(id);
    if (z !== undefined) zones.add(z);
  }
  return zones.size;
}

/** How often the under-quorum warning is logged at most (the metric counts every one). */
const WARN_EVERY_MS = 10_000;

/** Counts uploads acknowledged with copies in fewer zones than the quorum, and says so in the log (at most every 10 s). */
export class UnderQuorumLog {
  private lastWarn = -Infinity;
  private quiet = 0;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  note(what: { blob: string; link: string; zones: number; quorum: number }): void {
    trackerMetrics.uploadsUnderQuorum().inc();
    const t = this.now();
    if (t - this.lastWarn < WARN_EVERY_MS) {
      this.quiet++;
      return;
    }
    this.log.warn({ ...what, alsoSinceLastWarning: this.quiet }, 'upload acknowledged under the write quorum; the replicate worker makes the missing copies');
    this.lastWarn = t;
    this.quiet = 0;
  }
}
