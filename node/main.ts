#!/usr/bin/env node
// hoard-node: flags → config → chunk store, HTTP server, tracker link.
import { mkdir, readFile } from 'node:fs/promises';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, loadConfig } from '../common/config.js';
import { listen } from '../common/http.js';
import { createLogger } from '../common/log.js';
import { collectProcessMetrics } from '../common/metrics.js';
import { NODE_SPEC, type NodeConfig } from './config.js';
import type { NodeContext } from './context.js';
import { FileChunkStore } from './store/file-chunk-store.js';
import { TrackerLink } from './cluster/heartbeat.js';
import { integrityParts } from './integrity/setup.js';
import { loadNodeId } from './cluster/node-id.js';
import { createNodeServer } from './server.js';
import { trackerClient } from './cluster/tracker-client.js';
import { TusService } from './tus/service.js';
import { TusStateStore } from './tus/state.js';
import { copiesClient } from './cluster/tracker-copies.js';
import { nodeWorkerPool } from './workers/pool.js';

const RATE_WINDOW_MS = 30_000;
const DRAIN_MS = 10_000;

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

async function main(): Promise<void> {
  let parser = yargs(hideBin(process.argv))
    .scriptName('hoard-node')
    .usage('$0 --tracker URL --data DIR --secret S [options]\n\nA hoard storage node.')
    .option('config', { type: 'string', describe: 'JSON config file' })
    .option('secret-file', { type: 'string', describe: 'File whose first line is the cluster secret' })
    .epilogue('Every option can also be set as HOARD_<KEY> (e.g. HOARD_CHUNK_SIZE) or in the --config file (camelCase keys).')
    .strict()
    .help();
  for (const [key, field] of Object.entries(NODE_SPEC)) {
    // Strings throughout: loadConfig parses and checks every value (sizes like 8MiB included).
    parser = parser.option(kebab(key), { type: 'string', describe: field.doc });
  }
  const argv = await parser.parseAsync();

  const flags: Record<string, unknown> = {};
  for (const key of Object.keys(NODE_SPEC)) flags[key] = argv[key];
  const secretFile = argv['secret-file'];
  if (flags.secret === undefined && typeof secretFile === 'string') {
    flags.secret = (await readFile(secretFile, 'utf8')).split(/\r?\n/)[0];
  }
  const config: NodeConfig = loadConfig(NODE_SPEC, flags, typeof argv.config === 'string' ? argv.config : undefined);
  const log = createLogger('node');

  await mkdir(config.data, { recursive: true });
  const nodeId = await loadNodeId(config.data, config.id);
  const stopping = new AbortController();
  const parts = integrityParts({
    nodeId,
    signal: stopping.signal,
    log,
    copies: copiesClient(config.tracker, config.secret),
    settings: { scrubRate: config.scrubRate, orphanGraceMs: config.orphanGrace * 1000, quarantineKeepMs: config.quarantineKeep * 1000 },
    verifyCacheTtlS: config.verifyCacheTtl,
  });
  const store = new FileChunkStore({ dir: config.data, chunkSize: config.chunkSize, reserve: config.reserve, log, verifier: parts.verifier, onCorrupt: parts.onCorrupt });
  await store.open();
  const integrity = parts.finish(store);
  collectProcessMetrics();
  const tracker = trackerClient(config.tracker, config.secret);
  const ctx: NodeContext = {
    nodeId,
    secret: config.secret,
    store,
    tracker,
    log,
    limits: {
      maxUploadSize: config.maxUploadSize,
      reserve: config.reserve,
      minUploadRate: config.minUploadRate,
      rateWindowMs: RATE_WINDOW_MS,
    },
    stats: { inFlight: 0 },
    integrity,
  };
  // Resumable uploads survive restarts: their states and bytes are loaded, not cleaned.
  const tus = new TusService({ node: ctx, store, states: new TusStateStore(store.resumableRoot), tracker, expiryMs: config.uploadExpiry * 1000, log });
  await tus.load();
  ctx.tus = tus;
  const workers = nodeWorkerPool(ctx, { scrub: config.scrubSchedule, orphans: config.orphanSchedule, uploadExpiryS: config.uploadExpiry }, log);
  const server = createNodeServer(ctx);
  const port = await listen(server, config.port, config.host);
  const publicUrl = config.publicUrl || defaultUrl(config.host, port);
  log.info({ port, url: publicUrl, nodeId, zone: config.zone, blobs: store.count() }, 'listening');

  const link = new TrackerLink({
    api: tracker,
    store,
    log,
    nodeId,
    zone: config.zone,
    publicUrl,
    load: () => ctx.stats.inFlight,
    reserve: config.reserve,
  });
  link.start();
  workers.start();

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    await link.stop();
    stopping.abort();
    await workers.stop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Transfers in flight get a moment to end; unfinished uploads are cleaned from tmp/ at the next start.
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    force.unref();
    await closed;
    await tus.close();
    await store.close();
    log.info('stopped');
    log.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

function defaultUrl(host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

main().catch((err: unknown) => {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`hoard-node: ${msg}\n`);
  // 2 = bad configuration (fix the flags), 1 = a failure at run time.
  process.exit(err instanceof ConfigError ? 2 : 1);
});
