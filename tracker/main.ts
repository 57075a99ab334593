#!/usr/bin/env node
// hoard-tracker: flags → config → store, topology, commit rules → HTTP server.
import { mkdirSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, loadConfig } from '../common/config.js';
import { listen } from '../common/http.js';
import { createLogger } from '../common/log.js';
import { collectProcessMetrics, observeWorker } from '../common/metrics.js';
import { readSecretFile, SecretError } from '../common/secret.js';
import { Committer } from './index/committer.js';
import { WorkerPool } from '../common/worker.js';
import { trackerFlagValues, trackerFlags, trackerSpec } from './config.js';
import type { TrackerContext } from './context.js';
import { defaultMetaSpec, openMetaStore } from './meta/open.js';
import { StoreError } from './meta/store.js';
import { Replication } from './replication/replication.js';
import { createTrackerServer } from './server.js';
import { nodeApiFactory } from './cluster/node-client.js';
import { Topology } from './cluster/topology.js';
import { refreshBacklog } from './replication/status.js';
import { trackerWorkers } from './workers/all.js';

const SWEEP_MS = 1_000;
const CLOSE_GRACE_MS = 5_000;

function parseFlags() {
  let parser = yargs(hideBin(process.argv)).scriptName('hoard-tracker').usage('$0 --data DIR --secret SECRET [options]');
  for (const [flag, opt] of Object.entries(trackerFlags())) parser = parser.option(flag, opt);
  return parser
    .option('secret-file', { type: 'string', describe: 'Read the cluster secret from the first line of this file' })
    .option('config', { type: 'string', describe: 'JSON file with any of the keys above (camelCase)' })
    .strict()
    .help()
    .parseSync();
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const secret = typeof flags.secret === 'string' ? flags.secret : flags.secretFile ? readSecretFile(flags.secretFile) : undefined;
  const config = loadConfig(trackerSpec, { ...trackerFlagValues(flags), secret }, flags.config);
  const log = createLogger('tracker');
  mkdirSync(config.data, { recursive: true });
  const store = await openMetaStore(config.meta || defaultMetaSpec(config.data));
  const topology = new Topology(store, config.nodeDownAfter);
  await topology.load();
  // The committer asks replication whether to keep a duplicate's copy.
  const committer: Committer = new Committer({ store, isLive: (id) => topology.isLive(id), log, wantsCopy: (b, n): boolean => replication.wantsCopy(b, n) });
  const nodeApi = nodeApiFactory(config.secret);
  const replication: Replication = new Replication({ config, store, topology, log, now: Date.now, nodeApi });
  const ctx: TrackerContext = {
    config,
    publicUrl: config.publicUrl,
    store,
    topology,
    committer,
    log,
    random: Math.random,
    now: Date.now,
    replication,
    nodeApi,
    // The pool runs its workers with this context, and the routes reach the pool through it.
    get workers() {
      return workers;
    },
  };
  const workers = new WorkerPool<TrackerContext>(ctx, log);
  for (const w of trackerWorkers(config)) workers.add(observeWorker(w));
  const server = createTrackerServer(ctx);
  const port = await listen(server, config.port, config.host);
  // Set before the event loop turns, so no request sees the placeholder.
  ctx.publicUrl = config.publicUrl || `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info({ port, url: ctx.publicUrl, nodes: topology.list().length }, 'listening');
  collectProcessMetrics();
  await refreshBacklog(store);
  replication.triggers.runWorkersWith((name) => workers.run(name));
  workers.start();

  const sweep = setInterval(() => {
    const downSince = new Map(topology.list().map((n) => [n.id, n.downSince]));
    const t = topology.sweep();
    for (const id of t.down) log.warn({ node: id }, 'node down');
    for (const id of t.up) {
      log.info({ node: id }, 'node up');
      replication.nodeUp(id, downSince.get(id));
    }
  }, SWEEP_MS);
  sweep.unref();

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    clearInterval(sweep);
    replication.stop();
    void workers.stop();
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    force.unref();
    server.close(() => {
      store.close().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'closing the store failed');
          process.exit(1);
        },
      );
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof SecretError || err instanceof StoreError) {
    process.stderr.write(`hoard-tracker: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`hoard-tracker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
