// What every route handler gets: config, store, topology, commit rules.
import type { Logger } from 'pino';
import type { WorkerPool } from '../common/worker.js';
import type { Committer } from './index/committer.js';
import type { TrackerConfig } from './config.js';
import type { MetaStore } from './meta/store.js';
import type { Replication } from './replication/replication.js';
import type { NodeApiFactory } from './cluster/node-client.js';
import type { Topology } from './cluster/topology.js';

export interface TrackerContext {
  config: TrackerConfig;
  /** Base URL of this tracker as clients see it (no trailing slash). */
  publicUrl: string;
  store: MetaStore;
  topology: Topology;
  committer: Committer;
  log: Logger;
  /** Uniform in [0, 1). */
  random: () => number;
  now: () => number;
  /** Replication, repair and reconcile state (absent in tests that do not need it). */
  replication?: Replication;
  /** The named background workers, run by schedule or by /internal/admin/workers. */
  workers?: WorkerPool<TrackerContext>;
  /** Calls to nodes' /internal/ routes (default: over HTTP with the cluster secret; tests substitute). */
  nodeApi?: NodeApiFactory;
}
