// What the node's integrity and space work shares: the scrub and orphan
// workers, the /internal/blobs routes the tracker calls, and the read path's
// reaction to a bad chunk.
import type { Logger } from 'pino';
import type { ChunkStore } from '../store/chunk-store.js';
import type { CorruptionHandler } from './corruption.js';
import type { KeyedLock } from '../../common/keyed-lock.js';
import type { CopiesApi } from '../cluster/tracker-copies.js';

export interface IntegritySettings {
  /** Scrub read rate, bytes/s (0 = unlimited). */
  scrubRate: number;
  /** A copy the tracker does not know is deleted once it has been unknown this long. */
  orphanGraceMs: number;
  /** Quarantined copies are deleted after this long. */
  quarantineKeepMs: number;
}

export interface Integrity {
  nodeId: string;
  store: ChunkStore;
  log: Logger;
  /**
   * One lock per blob id, shared with upload publishes: a copy is removed,
   * quarantined or replaced only while no publish and commit of that blob is
   * in flight on this node, so the tracker's answer about it cannot change
   * underneath.
   */
  locks: KeyedLock;
  copies: CopiesApi;
  corruption: CorruptionHandler;
  settings: IntegritySettings;
  /** Aborted at shutdown: long runs (a scrub of a whole disk) stop between blobs. */
  signal: AbortSignal;
  now: () => number;
}
