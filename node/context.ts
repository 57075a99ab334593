// What the node's request handlers share.
import type { Logger } from 'pino';
import type { WorkerPool } from '../common/worker.js';
import type { ChunkStore } from './store/chunk-store.js';
import type { Integrity } from './integrity/integrity.js';
import type { TrackerApi } from './cluster/tracker-client.js';
import type { TusService } from './tus/service.js';

export interface UploadLimits {
  maxUploadSize: number;
  /** Bytes kept free on the data disk. */
  reserve: number;
  /** Bytes/s over `rateWindowMs` below which an upload is cut (0 = off). */
  minUploadRate: number;
  rateWindowMs: number;
}

export interface NodeContext {
  nodeId: string;
  secret: string;
  store: ChunkStore;
  tracker: Pick<TrackerApi, 'commit'>;
  log: Logger;
  limits: UploadLimits;
  /** Requests being served right now (reported as load). */
  stats: { inFlight: number };
  /** Resumable (tus) uploads; absent in set-ups that only take plain PUTs. */
  tus?: TusService;
  /** Scrub, copy removal and copy-in (the /internal/blobs routes); absent in tests that only upload and read. */
  integrity?: Integrity;
  /** Every named worker of the node (scrub, orphans, tus-expiry): run on schedule and from /internal/workers. */
  workers?: WorkerPool<NodeContext>;
}
