// What every route handler gets: config, store, topology, commit rules.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Committer } from './commit.js';
import type { TrackerConfig } from './config.js';
import type { MetaStore } from './meta/store.js';
import type { Topology } from './topology.js';

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
}

export type RouteHandler = (ctx: TrackerContext, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;
