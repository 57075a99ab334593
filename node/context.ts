// What the node's request handlers share, built once by compose.ts.
import type { Logger } from 'pino';
import type { JobBook } from '../common/jobs.js';
import type { WorkerPool } from '../common/worker.js';
import type { NodeTakedowns } from './cluster/takedowns.js';
import type { TrackerView } from './cluster/tracker-view.js';
import type { Egress } from './egress/egress.js';
import type { ChunkStore } from './store/chunk-store.js';
import type { Integrity } from './integrity/integrity.js';
import type { TusService } from './tus/service.js';
import type { UploadAdmission } from './upload/admission.js';
import type { UploadLimits } from './upload/limits.js';
import type { UploadPublisher } from './upload/publish.js';
import type { PipelineDeps } from './upload/pipeline.js';
import type { PipelineFollower } from './upload/follower.js';
import type { NodeJobs } from './workers/pool.js';

export interface NodeContext {
  nodeId: string;
  /** The cluster secret: signed URLs (downloads, PUT) are checked with it. */
  secret: string;
  /** Paces downloads: their signed rate caps and leases, and the uplink budget. */
  egress: Egress;
  store: ChunkStore;
  log: Logger;
  limits: UploadLimits;
  /** The one check of whether an upload may start (PUT and tus). */
  admission: UploadAdmission;
  /** Seal, publish on disk, commit at the tracker (PUT and tus). */
  publisher: UploadPublisher;
  /** What the write pipeline's first node needs: this node's id, the secret, the tracker (replacements). */
  pipelineDeps: PipelineDeps;
  /** Copies streamed here by another node's uploads (the write pipeline). */
  follower: PipelineFollower;
  /** Requests being served right now (reported as load). */
  stats: { inFlight: number };
  /** Resumable (tus) uploads. */
  tus: TusService;
  /** Scrub, copy removal and copy-in (the /internal/blobs routes). */
  integrity: Integrity;
  /** What the node learned of its tracker at registration (its public URL, where a reader is sent back to). */
  trackerView: TrackerView;
  /** Blobs and links the trackers took down: refused at once, signed URLs handed out before included. */
  takedowns: NodeTakedowns;
  /** Every named worker of the node (scrub, orphans, tus-expiry): run on schedule and from /internal/workers. */
  workers: WorkerPool<NodeJobs>;
  /** Worker runs and verifies started with ?job=1, polled at /internal/jobs/<id>. */
  jobs: JobBook;
}
