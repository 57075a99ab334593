#!/usr/bin/env node
// hoard-tracker: flags → config → store, topology, commit rules → HTTP server.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, loadConfig } from '../common/config.js';
import { listen } from '../common/http.js';
import { createLogger } from '../common/log.js';
import { collectProcessMetrics } from '../common/metrics.js';
import { readSecretFile, SecretError } from '../common/secret.js';
import { Committer } from './index/committer.js';
import { trackerSpec } from './config.js';
import type { TrackerContext } from './context.js';
import { LevelMetaStore } from './meta/level.js';
import { StoreError } from './meta/store.js';
import { replicationFlags, replicationValues, startWorkers } from './replication/wiring.js';
import { Replication } from './replication/replication.js';
import { createTrackerServer } from './server.js';
import { nodeApiFactory } from './cluster/node-client.js';
import { Topology } from './cluster/topology.js';
import { refreshBacklog } from './http/copies.js';
import { fsckWorker } from './workers/fsck.js';
import { gcWorker } from './workers/gc.js';

const SWEEP_MS = 1_000;
const CLOSE_GRACE_MS = 5_000;

function parseFlags() {
  let parser = yargs(hideBin(process.argv))
    .scriptName('hoard-tracker')
    .usage('$0 --data DIR --secret SECRET [options]')
    .option('data', { type: 'string', describe: trackerSpec.data.doc })
    .option('port', { type: 'string', describe: trackerSpec.port.doc })
    .option('host', { type: 'string', describe: trackerSpec.host.doc })
    .option('public-url', { type: 'string', describe: trackerSpec.publicUrl.doc })
    .option('secret', { type: 'string', describe: trackerSpec.secret.doc })
    .option('secret-file', { type: 'string', describe: 'Read the cluster secret from the first line of this file' })
    .option('url-ttl', { type: 'string', describe: trackerSpec.urlTtl.doc })
    .option('node-down-after', { type: 'string', describe: trackerSpec.nodeDownAfter.doc })
    .option('max-upload-size', { type: 'string', describe: trackerSpec.maxUploadSize.doc })
    .option('cors-origins', { type: 'string', describe: trackerSpec.corsOrigins.doc })
    .option('upload-margin', { type: 'string', describe: trackerSpec.uploadMargin.doc })
    .option('gc-schedule', { type: 'string', describe: trackerSpec.gcSchedule.doc })
    .option('gc-grace', { type: 'string', describe: trackerSpec.gcGrace.doc })
    .option('fsck-schedule', { type: 'string', describe: trackerSpec.fsckSchedule.doc })
    .option('config', { type: 'string', describe: 'JSON file with any of the keys above (camelCase)' })
    .strict()
    .help();
  for (const [flag, opt] of Object.entries(replicationFlags())) parser = parser.option(flag, opt);
  return parser.parseSync();
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const config = loadConfig(
    trackerSpec,
    {
      data: flags.data,
      port: flags.port,
      host: flags.host,
      publicUrl: flags.publicUrl,
      secret: flags.secret ?? (flags.secretFile ? readSecretFile(flags.secretFile) : undefined),
      urlTtl: flags.urlTtl,
      nodeDownAfter: flags.nodeDownAfter,
      maxUploadSize: flags.maxUploadSize,
      corsOrigins: flags.corsOrigins,
      ...replicationValues(flags),
      uploadMargin: flags.uploadMargin,
      gcSchedule: flags.gcSchedule,
      gcGrace: flags.gcGrace,
      fsckSchedule: flags.fsckSchedule,
    },
    flags.config,
  );
  const log = createLogger('tracker');
  mkdirSync(config.data, { recursive: true });
  const store = new LevelMetaStore(join(config.data, 'meta'));
  await store.open();
  const topology = new Topology(store, config.nodeDownAfter);
  await topology.load();
  // The committer asks replication whether to keep a duplicate's copy; replication takes the committer's lock to restore a repaired copy.
  const committer: Committer = new Committer({ store, isLive: (id) => topology.isLive(id), log, wantsCopy: (b, n): boolean => replication.wantsCopy(b, n) });
  const replication: Replication = new Replication({ config, store, topology, log, now: Date.now, nodeApi: nodeApiFactory(config.secret), committer });
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
  };
  const server = createTrackerServer(ctx);
  const port = await listen(server, config.port, config.host);
  // Set before the event loop turns, so no request sees the placeholder.
  ctx.publicUrl = config.publicUrl || `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info({ port, url: ctx.publicUrl, nodes: topology.list().length }, 'listening');
  collectProcessMetrics();
  await refreshBacklog(ctx);
  const workers = startWorkers(ctx, replication, [
    gcWorker(config.gcSchedule),
    fsckWorker(config.fsckSchedule),
  ]);

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
