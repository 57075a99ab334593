// What every route handler and worker gets: config, store, topology, commit
// rules, replication, the proof book, the calls to nodes, the workers and the
// pages' assets, each built once by compose.ts.
import type { Logger } from 'pino';
import type { RewardDesk } from './rewards/desk.js';
import type { JobBook } from '../common/jobs.js';
import type { WorkerPool } from '../common/worker.js';
import type { NodeApiFactory } from './cluster/node-client.js';
import type { NodeStreams } from './cluster/node-streams.js';
import type { Topology } from './cluster/topology.js';
import type { Accounts } from './accounts/accounts.js';
import type { TrackerConfig } from './config.js';
import type { DownloadDesk } from './downloads/desk.js';
import type { DownloadFollow } from './downloads/follow.js';
import type { Committer } from './index/committer.js';
import type { CreationLimits } from './index/creation-limits.js';
import type { ProofBook } from './index/proof-book.js';
import type { UnderQuorumLog } from './index/write-quorum.js';
import type { MetaStore } from './meta/store.js';
import type { Replication } from './replication/replication.js';
import type { TakedownBook } from './takedowns/book.js';
import type { TakedownDesk } from './takedowns/desk.js';
import type { WebAssets } from './web/assets.js';
import type { WorkerLeases } from './workers/leases.js';

export interface TrackerContext {
  config: TrackerConfig;
  /** Base URL of this tracker as clients see it (no trailing slash). */
  publicUrl: string;
  store: MetaStore;
  /** Registration, sign-in, sessions, tokens and premium keys. */
  accounts: Accounts;
  topology: Topology;
  /** The nodes' open heartbeat streams. */
  streams: NodeStreams;
  committer: Committer;
  /** Replication, repair and reconcile state. */
  replication: Replication;
  /** Challenges for declared uploads (early stop). */
  proofs: ProofBook;
  /** Per-client limits on creating resumable uploads. */
  creations: CreationLimits;
  /** The download policy: claims for node URLs, leases, the happy hour. */
  downloads: DownloadDesk;
  /** Every download followed to completion: its id in the signed URL, the bytes nodes served under it, the count per link. */
  followed: DownloadFollow;
  /** Reward points: which downloads may earn, the ledger. */
  rewards: RewardDesk;
  /** Takedown notices: those in force (book), issuing and lifting them (desk). */
  takedowns: { book: TakedownBook; desk: TakedownDesk };
  /** Counts (and logs) uploads acknowledged under the write quorum. */
  underQuorum: UnderQuorumLog;
  /** Calls to nodes' /internal/ routes. */
  nodeApi: NodeApiFactory;
  /** The named background workers, run by schedule or by /internal/admin/workers. */
  workers: WorkerPool<TrackerContext>;
  /** Long admin operations started with ?job=1, polled at /internal/admin/jobs/<id>. */
  jobs: JobBook;
  /** Which tracker runs each worker (several trackers on one store). */
  leases: WorkerLeases;
  /** The browser bundle the pages load (built by npm run build). */
  web: WebAssets;
  log: Logger;
  /** Uniform in [0, 1). */
  random: () => number;
  now: () => number;
}
