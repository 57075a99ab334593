// Builds the node's integrity machinery: the chunk verifier the store reads
// through and the bad-copy handler, over the node's one set of per-blob
// locks (the scrub and orphan workers that use it run in the node's one
// pool: node/workers/pool.ts).
import type { Logger } from 'pino';
import type { ChunkStore } from '../store/chunk-store.js';
import { ChunkVerifier } from '../store/chunk-verifier.js';
import { CorruptionHandler } from './corruption.js';
import type { Integrity, IntegritySettings } from './integrity.js';
import type { KeyedLock } from '../../common/keyed-lock.js';
import { nodeMetrics } from '../metrics.js';
import type { CopiesApi } from '../cluster/tracker-copies.js';

export interface IntegrityOptions {
  nodeId: string;
  log: Logger;
  copies: CopiesApi;
  settings: IntegritySettings;
  /** Seconds a verified chunk is trusted (0 = never). */
  verifyCacheTtlS: number;
  /** The node's per-blob locks, shared with upload publishes. */
  locks: KeyedLock;
  /** Aborted at shutdown. */
  signal: AbortSignal;
}

/** The verifier and the read path's bad-chunk hook, to hand to the store before it exists. */
export function integrityParts(opts: IntegrityOptions) {
  const checks = nodeMetrics.chunkChecks();
  const verifier = new ChunkVerifier({
    ttlMs: opts.verifyCacheTtlS * 1000,
    onCheck: (r) => checks.inc({ result: !r.ok ? 'bad' : r.cached ? 'cached' : 'verified' }),
  });
  const { locks } = opts;
  let corruption: CorruptionHandler | undefined;
  const onCorrupt = async (id: string, chunks: number[]): Promise<void> => {
    await corruption?.handle(id, chunks, 'read');
  };
  /** Completes the machinery once the store is open. */
  const assemble = (store: ChunkStore): Integrity => {
    corruption = new CorruptionHandler({ nodeId: opts.nodeId, store, copies: opts.copies, locks, log: opts.log });
    const integrity: Integrity = {
      nodeId: opts.nodeId,
      store,
      log: opts.log,
      locks,
      copies: opts.copies,
      corruption,
      settings: opts.settings,
      signal: opts.signal,
      now: Date.now,
    };
    return integrity;
  };
  return { verifier, onCorrupt, assemble };
}
