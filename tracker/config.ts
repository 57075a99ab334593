// hoard-tracker's configuration keys, their defaults and checks.
import type { Options } from 'yargs';
import { ConfigError, bytes, int, origins, secret, str, tokenFile, url, type ConfigOf, type Field } from '../common/config.js';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_MISSES_DOWN } from '../common/protocol/routes.js';
import { cronExpr } from '../common/schedule.js';
import { happyWindow, testClock, tierList, weekdays } from '../common/policy-config.js';
import { UPLOAD_MARGIN_BYTES } from './cluster/placement.js';
import { isIP } from 'node:net';

/** An http(s) URL, or '' for "derive it from host and the actual port". */
const optionalUrl = (doc: string): Field<string> => {
  const inner = url(doc);
  return { doc, default: '', parse: (raw, key) => (raw === '' ? '' : inner.parse(raw, key)) };
};

/** '' (LevelDB under data), level:DIR or postgres://…; a bad value is not echoed, as a database URL may carry a password. */
const metaSpec = (doc: string): Field<string> => ({
  doc,
  default: '',
  parse(raw, key) {
    const v = String(raw);
    if (v === '' || /^level:./.test(v) || /^postgres(ql)?:\/\//.test(v)) return v;
    throw new ConfigError(`${key} must be level:DIR or postgres://…`);
  },
});

/** What an upload meets when fewer zones can take a copy than the write quorum needs. */
export type UnderQuorum = 'refuse' | 'accept';

const underQuorumSpec = (doc: string): Field<UnderQuorum> => ({
  doc,
  default: 'accept',
  parse(raw, key) {
    if (raw === 'refuse' || raw === 'accept') return raw;
    throw new ConfigError(`${key} must be refuse or accept`);
  },
});

/** Addresses (IPv4 or IPv6), comma-separated; empty for none. */
const addressList = (doc: string): Field<readonly string[]> => ({
  doc,
  default: [],
  parse(raw, key) {
    const list = Array.isArray(raw) ? raw.map(String) : String(raw).split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const a of list) if (isIP(a) === 0) throw new ConfigError(`${key}: ${JSON.stringify(a)} is not an IP address`);
    return Object.freeze(list.map((a) => a.toLowerCase()));
  },
});

/** ISO 3166 country codes, comma-separated, or * for any; kept as text (docs/config.md shows it), read by compose. */
const countryList = (doc: string, def: string): Field<string> => ({
  doc,
  default: def,
  parse(raw, key) {
    const v = String(raw).trim().toUpperCase();
    if (v !== '*' && v !== '' && !/^[A-Z]{2}(\s*,\s*[A-Z]{2})*$/.test(v)) throw new ConfigError(`${key} must be * or a list of two-letter country codes (e.g. US,GB), or empty`);
    return v;
  },
});

export const trackerSpec = {
  data: str('Directory holding the tracker metadata (LevelDB)'),
  meta: metaSpec('Metadata store: level:DIR (LevelDB in DIR) or postgres://USER[:PASSWORD]@HOST:PORT/DB[?pool=N] (PostgreSQL, N connections, default 16); empty for level:<data>/meta'),
  port: int('TCP port to listen on (0 = any free port)', 8080, 0, 65535),
  host: str('Address to listen on', '127.0.0.1'),
  publicUrl: optionalUrl('Base URL clients use to reach the tracker (default http://<host>:<port>)'),
  secret: secret('Cluster secret shared with storage nodes and admins (≥ 16 characters)'),
  urlTtl: int('Lifetime of signed data-plane URLs, in seconds: long enough to start the request (a download in progress is not cut), short so that a deleted link stops working soon', 60, 10, 7 * 86_400),
  nodeDownAfter: int('Milliseconds without a heartbeat after which a node is down', HEARTBEAT_MISSES_DOWN * HEARTBEAT_INTERVAL_MS, 500, 86_400_000),
  maxUploadSize: bytes('Largest accepted upload, bytes (e.g. 10GiB)', 1024 ** 4, 0, 1024 ** 5),
  bodyTimeout: int('Milliseconds within which a request body (JSON) must arrive whole; a slower one gets 408 and its connection closed', 10_000, 100, 600_000),
  metricsTokenFile: tokenFile('File whose first line (at least 16 characters) is the bearer token a metrics scraper sends to GET /metrics (empty: /metrics takes the cluster credential only)'),
  webChunkSize: bytes('Most bytes the upload page sends in one PATCH (lower it behind a proxy that limits request bodies; 0 = the rest of the file)', 64 * 1024 ** 2, 0, 1024 ** 4),
  tusCreateRate: int('Resumable uploads one client (an IPv4 address, or an IPv6 /64) may create per minute, past its burst; more get 429 with Retry-After (0 = no limit)', 120, 0, 1_000_000),
  tusCreateBurst: int('Resumable uploads one client may create at once after a quiet spell', 60, 1, 1_000_000),
  tusMaxOpen: int('Resumable uploads one client may hold created and unfinished; more get 429 with Retry-After (0 = no cap)', 100, 0, 1_000_000),
  // Accounts (docs/tiers.md).
  sessionTtl: int('Seconds a browser session (the hoard_session cookie) lasts after sign-in', 30 * 86_400, 1, 365 * 86_400),
  tokenTtl: int('Seconds an API token lasts (hoard login; a token may ask for less, never more)', 365 * 86_400, 1, 10 * 365 * 86_400),
  loginFailuresPerAddress: int('Failed sign-ins one address may make per login window before it gets 429 with Retry-After (0 = no limit)', 20, 0, 1_000_000),
  loginFailuresPerAccount: int('Failed sign-ins against one account name per login window before it gets 429 with Retry-After (0 = no limit)', 10, 0, 1_000_000),
  loginWindow: int('Seconds over which failed sign-ins are counted', 900, 1, 86_400),
  // Limits per tier (docs/tiers.md); 0 = none. Admins have none.
  uploadLimitAnonymous: bytes('Largest upload an anonymous caller may make, bytes (0 = none but maxUploadSize)', 1024 ** 3, 0, 1024 ** 5),
  uploadLimitFree: bytes('Largest upload a free account may make, bytes (0 = none but maxUploadSize)', 1024 ** 3, 0, 1024 ** 5),
  uploadLimitPremium: bytes('Largest upload a premium account may make, bytes (0 = none but maxUploadSize)', 0, 0, 1024 ** 5),
  storageQuotaFree: bytes('Most logical bytes a free account may keep in its links (a deduplicated upload counts in full; a deleted link gives its bytes back; 0 = none)', 200 * 1024 ** 3, 0, 1024 ** 6),
  storageQuotaPremium: bytes('Most logical bytes a premium account may keep (0 = none)', 0, 0, 1024 ** 6),
  downloadLimitFree: bytes('Largest file anonymous callers and free accounts may download, bytes; larger files need premium (0 = none)', 1024 ** 3, 0, 1024 ** 5),
  trustedProxies: addressList('Addresses of the reverse proxies in front of the tracker, comma-separated: from them, the client is the last address in X-Forwarded-For that is not one of them (empty: the connecting address is the client)'),
  corsOrigins: origins('Web origins whose pages may call the upload, tus and download routes: * for any, or a comma-separated list (empty: none)'),
  // Replication and repair (docs/operations.md).
  replicas: int('Copies of every blob, each in another zone while enough zones are up', 2, 1, 16),
  ackCopies: int('Copies, each in another zone, an upload must be durable on before it is acknowledged (the write quorum; at most replicas, 1 = after the first copy)', 2, 1, 16),
  underQuorum: underQuorumSpec('When fewer zones can take a copy than ackCopies: refuse (503 QUORUM_UNAVAILABLE) or accept with fewer copies (a warning, hoard_uploads_under_quorum_total, the replicate worker makes the rest)'),
  repairGrace: int('Milliseconds a node may stay down before its blobs are copied elsewhere', 300_000, 0, 30 * 86_400_000),
  replicationRate: bytes('Bytes per second one node-to-node copy may use (0 = unthrottled)', 64 * 1024 ** 2, 0, 1024 ** 4),
  replicationConcurrency: int('Node-to-node copies running at once, cluster-wide', 2, 1, 64),
  repairBatch: int('Most tasks (copies, drops) one replicate/repair/rebalance run starts', 500, 1, 1_000_000),
  replicateSchedule: cronExpr('When the replicate worker copies new uploads to their other zones (node-cron, seconds field, UTC)', '*/2 * * * * *'),
  repairSchedule: cronExpr('When the repair worker scans every blob for missing, bad, extra and draining copies', '*/30 * * * * *'),
  reconcileSchedule: cronExpr('When the reconcile worker compares every live node\'s blobs with the index', '0 */15 * * * *'),
  reconcileMinAge: int('Milliseconds a copy the index does not list must exist before reconcile removes it', 600_000, 0, 30 * 86_400_000),
  rebalanceSchedule: cronExpr('When the rebalance worker moves blobs from the fullest to the emptiest node', '0 */10 * * * *'),
  rebalanceThreshold: int('Percentage points of disk use between the fullest and emptiest node that start a rebalance', 10, 1, 100),
  rebalanceBytes: bytes('Most bytes one rebalance run moves', 4 * 1024 ** 3, 0, 1024 ** 5),
  uploadMargin: bytes('Free bytes a node must have beyond an upload\'s size to be chosen for it (heartbeat lag; nodes already leave out their reserve)', UPLOAD_MARGIN_BYTES, 0, 1024 ** 5),
  gcSchedule: cronExpr('When blobs without links past their grace period are deleted from every node (node-cron, UTC, seconds field allowed)', '0 */10 * * * *'),
  gcGrace: int('Seconds a blob keeps its bytes after its last link is deleted', 86_400, 0, 365 * 86_400),
  // Downloads per tier (docs/tiers.md).
  downloadRateAnonymous: bytes('Bytes/s one anonymous download may use (its ranges and connections together, per node; 0 = unthrottled)', 256 * 1024, 0, 1024 ** 4),
  downloadRateFree: bytes('Bytes/s one download of a registered free user may use (0 = unthrottled)', 1024 ** 2, 0, 1024 ** 4),
  downloadOneAtATime: tierList('Tiers whose callers download one file at a time, cluster-wide (comma-separated anonymous,free; empty = none); another file meanwhile gets 429 DOWNLOAD_BUSY', 'anonymous,free'),
  leaseTtl: int('Seconds a download lease (one file at a time for anonymous and free callers) lives without a node reporting its transfer running; a transfer that ends releases it at the next heartbeat', 30, 5, 86_400),
  happyHour: happyWindow('Happy hour, HH:MM-HH:MM in UTC (an end at or before the start is the next day), or off: the tiers of --happy-hour-tiers download like premium', '12:00-14:00'),
  happyHourDays: weekdays('Days the happy hour starts on: * or a list of mon,tue,wed,thu,fri,sat,sun', '*'),
  happyHourTiers: tierList('Tiers the happy hour lifts to premium speed and no one-at-a-time limit (comma-separated)', 'free'),
  testClock: testClock('For tests only: the instant (ISO) the download policy\'s clock reads at start (the happy hour); empty = the system clock'),
  // Reward points (docs/rewards.md).
  rewardCountries: countryList('Countries whose complete downloads earn the uploader reward points: two-letter ISO codes, comma-separated, * for any country the GeoIP database knows, empty to turn points off', 'US,CA,GB,IE,FR,DE,NL,BE,LU,CH,AT,IT,ES,PT,SE,NO,DK,FI,IS,AU,NZ,JP'),
  rewardMaxSize: bytes('Files this large or larger earn no reward points, bytes', 100 * 1024 ** 2, 1, 1024 ** 5),
  rewardDailyCap: int('Most reward points one uploader earns per UTC day', 1000, 0, 1_000_000_000),
  rewardPointsPerDay: int('Reward points one day of premium costs (hoard redeem --days)', 100, 1, 1_000_000_000),
  // Takedowns (docs/takedowns.md).
  takedownHold: int('Seconds the links a takedown notice covers are kept (answering 451) before the takedown-purge worker deletes them, so their bytes go with GC after gcGrace; a notice given with keep (legal hold) keeps them until it is lifted', 30 * 86_400, 0, 10 * 365 * 86_400),
  takedownSchedule: cronExpr('When the takedown-purge worker deletes the links of notices past their hold (node-cron, UTC)', '0 */10 * * * *'),
  takedownStrikes: int('Takedown notices in force naming an account that disable it as a repeat infringer (0 = never)', 3, 0, 1_000_000),
  fsckSchedule: cronExpr('When fsck compares the index with every node and reports differences (node-cron, UTC; repairs only from hoard-admin fsck --repair)', '0 30 4 * * *'),
};

export type TrackerConfig = ConfigOf<typeof trackerSpec>;

export { ConfigError };

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** yargs options, one per key (strings: loadConfig parses and checks them). */
export function trackerFlags(): Record<string, Options> {
  return Object.fromEntries(Object.entries(trackerSpec).map(([k, f]) => [kebab(k), { type: 'string', describe: f.doc }]));
}

/** Each key's flag value (yargs camelCases them), for loadConfig. */
export function trackerFlagValues(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(trackerSpec).map((k) => [k, flags[k]]));
}
