// hoard-tracker composed once: the metadata store, the cluster's topology,
// the commit rules, replication, the calls to nodes, the proof book, the
// named workers and the HTTP server are each built here, once, and handed to
// what needs them. main.ts runs it; tests run it too, with a pinned clock,
// fixed randomness or stand-in nodes.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type http from 'node:http';
import type { Logger } from 'pino';
import { listen } from '../common/http.js';
import { JobBook } from '../common/jobs.js';
import { observeWorker } from '../common/metrics.js';
import { WorkerPool } from '../common/worker.js';
import { nodeApiFactory, type NodeApiFactory } from './cluster/node-client.js';
import { NodeStreams } from './cluster/node-streams.js';
import { Topology } from './cluster/topology.js';
import type { TrackerConfig } from './config.js';
import { DownloadDesk } from './downloads/desk.js';
import { MemoryLeaseBook } from './downloads/lease-book.js';
import { happyHourOf, parseTiers, policyClock } from '../common/policy-config.js';
import type { TrackerContext } from './context.js';
import { Accounts } from './accounts/accounts.js';
import { LoginGuard } from './accounts/login-guard.js';
import { CreationLimits } from './index/creation-limits.js';
import { Committer } from './index/committer.js';
import { expectedFromHolders, ProofBook } from './index/proof-book.js';
import { UnderQuorumLog } from './index/write-quorum.js';
import { defaultMetaSpec, openMetaStore } from './meta/open.js';
import { Replication } from './replication/replication.js';
import { refreshBacklog } from './replication/status.js';
import { createTrackerServer } from './server.js';
import { loadWebAssets } from './web/assets.js';
import { TakedownBook } from './takedowns/book.js';
import { TakedownDesk } from './takedowns/desk.js';
import { refuseTakenDown } from './takedowns/gate.js';
import { BLOCKED_PER_LINE } from '../common/protocol/takedowns.js';
import { trackerWorkers } from './workers/all.js';
import { WorkerLeases } from './workers/leases.js';
import { RewardDesk } from './rewards/desk.js';
import { DownloadFollow } from './downloads/follow.js';
import { DownloadTally } from './downloads/tally.js';
import { geoCountries } from './rewards/geo.js';
import { pointsOn, rewardRulesOf } from './rewards/rules.js';
import { trackerMetrics } from './metrics.js';
import type { MetaStore } from './meta/store.js';

/** How often nodes whose heartbeats stopped are looked for (a closed stream marks a node down at once). */
const SWEEP_MS = 1_000;
/** How often the stored node records are read back (nodes and drains another tracker of the cluster recorded). */
const REFRESH_MS = 2_000;
/** How long close() lets requests in flight finish before cutting their connections. */
const CLOSE_GRACE_MS = 5_000;


/** Clients whose upload creations are remembered at once (tracker/index/creation-limits.ts). */
const CREATION_CLIENTS = 10_000;
/** Addresses and account names whose failed sign-ins are remembered at once. */
const LOGIN_GUARD_KEYS = 100_000;

export interface TrackerDeps {
  log: Logger;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /** Uniform in [0, 1) (default Math.random). */
  random?: () => number;
  /** Calls to nodes' /internal/ routes (default over HTTP with the cluster secret). */
  nodeApi?: NodeApiFactory;
}

export interface Tracker {
  readonly ctx: TrackerContext;
  readonly server: http.Server;
  /** Listens on the configured host and port; the base URL clients are given follows the port. */
  listen(): Promise<number>;
  /** Starts the background work: the node sweep, the workers' schedules and replication's kicks. */
  start(): Promise<void>;
  /** Stops the background work, lets requests in flight finish (up to a grace period), closes the store. */
  close(): Promise<void>;
}

export async function composeTracker(config: TrackerConfig, deps: TrackerDeps): Promise<Tracker> {
  const { log } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const nodeApi = deps.nodeApi ?? nodeApiFactory(config.secret);

  mkdirSync(config.data, { recursive: true });
  const store = await openMetaStore(config.meta || defaultMetaSpec(config.data));
  const topology = new Topology(store, { downAfterMs: config.nodeDownAfter, now });
  await topology.load();
  const streams = new NodeStreams(topology);
  // Notices in force, read before the first request; nodes hear each change on their streams at once.
  const takedownBook = new TakedownBook(store);
  await takedownBook.refresh();
  takedownBook.onChange(({ block, lift }) => {
    for (let i = 0; i < Math.max(block.length, lift.length); i += BLOCKED_PER_LINE) {
      streams.broadcast({ type: 'takedowns', block: block.slice(i, i + BLOCKED_PER_LINE), lift: lift.slice(i, i + BLOCKED_PER_LINE) });
    }
  });
  // The committer asks replication whether to keep a duplicate's copy.
  const committer: Committer = new Committer({ store, refuse: (blobId) => refuseTakenDown(takedownBook, store, blobId), isLive: (id) => topology.isLive(id), log, now, wantsCopy: (b, n): boolean => replication.wantsCopy(b, n) });
  const replication: Replication = new Replication({ config, store, topology, log, now, nodeApi });
  topology.onChange((c) => {
    if (c.state === 'down') {
      log.warn({ node: c.id, cause: c.cause }, 'node down');
      replication.nodeDown();
    } else {
      log.info({ node: c.id, cause: c.cause, downSince: c.downSince }, 'node up');
      replication.nodeUp(c.id, c.downSince);
    }
  });
  const proofs = new ProofBook({
    log,
    expected: expectedFromHolders({
      holdersOf: async (blobId) => (await store.blobs.get(blobId))?.nodes,
      nodes: () => topology.list(),
      random,
      secret: config.secret,
    }),
  });
  const workerList = trackerWorkers(config);
  const leases = new WorkerLeases(store, workerList.map((w) => w.name), log);
  const web = loadWebAssets();
  if (!web.built) log.warn('the pages\' scripts and styles are not built (npm run build): pages are served without them');
  const accounts = new Accounts({
    store,
    guard: new LoginGuard(
      { perAddress: config.loginFailuresPerAddress, perAccount: config.loginFailuresPerAccount, windowMs: config.loginWindow * 1000, maxKeys: LOGIN_GUARD_KEYS },
      now,
    ),
    sessionTtl: config.sessionTtl,
    tokenTtl: config.tokenTtl,
    now,
  });
  const rewards = await rewardDesk(config, store, log, now);
  const tally = new DownloadTally({
    add: (counts) => store.downloadCounts.add(counts),
    log: log.child({ part: 'download-counts' }),
    observe: {
      counted: () => trackerMetrics.downloadsComplete().inc(),
      wrote: (ok) => trackerMetrics.downloadCountWrites().inc({ result: ok ? 'ok' : 'failed' }),
    },
  });
  const ctx: TrackerContext = {
    config,
    publicUrl: config.publicUrl,
    store,
    accounts,
    takedowns: {
      book: takedownBook,
      desk: new TakedownDesk({ store, book: takedownBook, accounts, strikeThreshold: config.takedownStrikes, holdS: config.takedownHold, log, now }),
    },
    topology,
    streams,
    committer,
    replication,
    proofs,
    creations: new CreationLimits(
      { perMinute: config.tusCreateRate, burst: config.tusCreateBurst, maxOpen: config.tusMaxOpen, maxClients: CREATION_CLIENTS },
      now,
    ),
    underQuorum: new UnderQuorumLog(log, now),
    rewards,
    followed: new DownloadFollow({ secret: config.secret, now, tally, whole: (id) => rewards.whole(id) }),
    downloads: new DownloadDesk({
      policy: {
        rates: { anonymous: config.downloadRateAnonymous, free: config.downloadRateFree },
        oneAtATime: parseTiers(config.downloadOneAtATime, 'downloadOneAtATime'),
        happyHour: happyHourOf(config.happyHour, config.happyHourDays),
        happyTiers: parseTiers(config.happyHourTiers, 'happyHourTiers'),
      },
      leases: new MemoryLeaseBook(),
      leaseTtlMs: config.leaseTtl * 1000,
      policyNow: policyClock(config.testClock, now),
      now,
    }),
    nodeApi,
    jobs: new JobBook(now),
    leases,
    web,
    log,
    random,
    now,
    // The pool runs its workers with this context, and the routes reach the pool through it.
    get workers() {
      return workers;
    },
  };
  const workers = new WorkerPool<TrackerContext>(ctx, log, leases.gate);
  for (const w of workerList) workers.add(observeWorker(w));
  const server = createTrackerServer(ctx);
  let sweep: NodeJS.Timeout | undefined;
  let refresh: NodeJS.Timeout | undefined;

  return {
    ctx,
    server,
    async listen() {
      const port = await listen(server, config.port, config.host);
      // Set before the event loop turns, so no request sees the placeholder.
      ctx.publicUrl = config.publicUrl || `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
      // How the other trackers of the cluster name this one as a lease holder.
      leases.nameAs(`${hostname()}:${port} pid ${process.pid}`);
      return port;
    },
    async start() {
      await refreshBacklog(store);
      replication.triggers.runWorkersWith((name) => ctx.workers.run(name));
      leases.start();
      ctx.workers.start();
      streams.start();
      tally.start();
      sweep = setInterval(() => topology.sweep(), SWEEP_MS);
      sweep.unref();
      refresh = setInterval(() => {
        topology.refresh().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'cannot read the node records back'));
        takedownBook.refresh().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'cannot read the takedown notices back'));
      }, REFRESH_MS);
      refresh.unref();
    },
    async close() {
      clearInterval(sweep);
      clearInterval(refresh);
      leases.stop();
      // Nodes see their streams end at once and reconnect to the next tracker.
      streams.stop();
      replication.stop();
      // Runs in progress are not waited for: they are idempotent and start over after a restart.
      void ctx.workers.stop();
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      force.unref();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(force);
      // The downloads counted since the last flush, while the store is open.
      await tally.stop();
      await store.close();
    },
  };
}

/** Reward points per the configuration; the GeoIP database is loaded only when points are on. */
async function rewardDesk(config: TrackerConfig, store: MetaStore, log: Logger, now: () => number): Promise<RewardDesk> {
  const rules = rewardRulesOf(config);
  const countryOf = pointsOn(rules) ? await geoCountries() : () => undefined;
  return new RewardDesk({
    rules,
    ledger: store.rewards,
    secret: config.secret,
    countryOf,
    now,
    log: log.child({ part: 'rewards' }),
    counted: (outcome) => trackerMetrics.rewardDownloads().inc({ outcome }),
  });
}
