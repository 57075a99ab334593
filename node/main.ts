#!/usr/bin/env node
// hoard-node: flags → config → compose → listen → signals.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { hoardVersion } from '../common/cli.js';
import { ConfigError, loadConfig } from '../common/config.js';
import { listen } from '../common/http.js';
import { createLogger } from '../common/log.js';
import { collectProcessMetrics } from '../common/metrics.js';
import { readSecretFile, SecretError } from '../common/secret.js';
import { NODE_SPEC, type NodeConfig } from './config.js';
import { TrackerLink } from './cluster/heartbeat.js';
import { heartbeatClient } from './cluster/tracker-client.js';
import { nodeStreamClient } from './cluster/tracker-stream.js';
import { composeNode, trackerLinks } from './compose.js';
import { setHeapGrowth } from './heap-growth.js';

const DRAIN_MS = 10_000;
/**
 * After telling the tracker it leaves (its stream closed), the node still
 * takes new requests this long: readers the tracker sent here just before
 * are served instead of refused.
 */
const LEAVE_MS = 1_000;

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

async function main(): Promise<void> {
  let parser = yargs(hideBin(process.argv))
    .scriptName('hoard-node')
    .usage('$0 --tracker URL[,URL...] --data DIR --secret S [options]\n\nA hoard storage node.')
    .option('config', { type: 'string', describe: 'JSON config file' })
    .option('secret-file', { type: 'string', describe: 'File whose first line is the cluster secret' })
    .epilogue('Every option can also be set as HOARD_<KEY> (e.g. HOARD_CHUNK_SIZE) or in the --config file (camelCase keys).')
    .strict()
    .help()
    .version(hoardVersion());
  for (const [key, field] of Object.entries(NODE_SPEC)) {
    // Strings throughout: loadConfig parses and checks every value (sizes like 8MiB included).
    parser = parser.option(kebab(key), { type: 'string', describe: field.doc });
  }
  const argv = await parser.parseAsync();

  const flags: Record<string, unknown> = {};
  for (const key of Object.keys(NODE_SPEC)) flags[key] = argv[key];
  const secretFile = argv['secret-file'];
  if (flags.secret === undefined && typeof secretFile === 'string') {
    try {
      flags.secret = readSecretFile(secretFile);
    } catch (err) {
      // A secret file that cannot be used is a configuration error, like a bad flag.
      if (err instanceof SecretError) throw new ConfigError(err.message);
      throw err;
    }
  }
  const config: NodeConfig = loadConfig(NODE_SPEC, flags, typeof argv.config === 'string' ? argv.config : undefined);
  const log = createLogger('node');
  setHeapGrowth(config.heapGrowth);

  const links = trackerLinks(config);
  const node = await composeNode(config, { log, ...links });
  collectProcessMetrics();
  const { server, store, ctx, nodeId } = node;
  const port = await listen(server, config.port, config.host);
  const publicUrl = config.publicUrl || defaultUrl(config.host, port);
  log.info({ port, url: publicUrl, nodeId, zone: config.zone, blobs: store.count() }, 'listening');

  // A heartbeat stream to every tracker: each sees this node go the moment its process ends.
  const streams = config.tracker.map(
    (base) =>
      new TrackerLink({
        api: heartbeatClient(base, config.secret),
        stream: nodeStreamClient(base, config.secret),
        view: ctx.trackerView,
        takedowns: ctx.takedowns,
        base,
        store,
        log: config.tracker.length > 1 ? log.child({ tracker: base }) : log,
        nodeId,
        zone: config.zone,
        publicUrl,
        load: () => ctx.stats.inFlight,
        leases: () => ctx.egress.leases.report(),
        served: () => ctx.egress.served.report(),
        reserve: config.reserve,
      }),
  );
  for (const link of streams) link.start();
  node.workers.start();

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    // The stream closes: the tracker stops sending readers here at once.
    await Promise.all(streams.map((link) => link.stop()));
    await Promise.all([node.stopWork(), new Promise((r) => setTimeout(r, LEAVE_MS))]);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Transfers in flight get a moment to end; unfinished uploads are cleaned from tmp/ at the next start.
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    force.unref();
    await closed;
    await node.close();
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
