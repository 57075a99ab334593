// The storage node's settings: one spec, resolved once at start and frozen.
import { bytes, ConfigError, int, origins, str, tokenFile, url, urls, secret, type ConfigOf, type Field } from '../common/config.js';
import { NODE_ID_RE, ZONE_RE } from '../common/protocol/ids.js';
import { cronExpr } from '../common/schedule.js';
import { testClock, tierWeights } from '../common/policy-config.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

/** An http(s) URL that may be left empty ('' = derive it at start). */
const optionalUrl = (doc: string): Field<string> => ({
  doc,
  default: '',
  parse(raw, key) {
    return raw === '' ? '' : url(doc).parse(raw, key);
  },
});

/** A string that may be left empty, else must match `re`. */
const optionalStr = (doc: string, re: RegExp): Field<string> => ({
  doc,
  default: '',
  parse(raw, key) {
    if (raw === '') return '';
    return str(doc, undefined, re).parse(raw, key);
  },
});

export const NODE_SPEC = {
  tracker: urls('Base URL of the tracker, or of every tracker of the cluster, comma-separated: the node holds a heartbeat stream to each and sends its calls to the first that answers'),
  data: str('Data directory (blobs, temp files, node id)', undefined, /^.+$/),
  port: int('Port to listen on (0 = any free port)', 8081, 0, 65535),
  host: str('Address to listen on', '127.0.0.1', /^.+$/),
  zone: str('Failure zone this node belongs to', 'default', ZONE_RE),
  publicUrl: optionalUrl('URL clients use to reach this node (default http://<host>:<port>)'),
  secret: secret('Cluster secret shared with the tracker (at least 16 characters)'),
  chunkSize: bytes('Size of the chunk files a blob is split into', 8 * MiB, 64 * KiB, GiB),
  maxUploadSize: bytes('Largest upload accepted', TiB, 1, Number.MAX_SAFE_INTEGER),
  reserve: bytes('Bytes kept free on the data disk; uploads that would use them get 507', 64 * MiB, 0, Number.MAX_SAFE_INTEGER),
  heapGrowth: int('Percent by which V8 lets the heap grow past what its last full collection kept, before the next one (0 = V8\'s own factor, which left a 13 MB heap about 9 MB of room). Upload bodies arrive as 64 KiB buffers counted against that limit, so a small heap is fully collected every few MiB received; 200 cut the node\'s CPU per upload by about a fifth and added a few MB at peak (docs/benchmarks.md)', 200, 0, 1000),
  minUploadRate: int('Bytes/s averaged over 30 s below which an upload is cut with 408 (0 = off)', 1024, 0, Number.MAX_SAFE_INTEGER),
  bodyTimeout: int('Milliseconds within which a request body other than an upload (JSON of cluster calls) must arrive whole; a slower one gets 408 and its connection closed', 10_000, 100, 600_000),
  maxOpenUploads: int('Resumable uploads this node holds unfinished at once, all clients together (each is state in memory and promised space); creations past it get 503 TOO_MANY_OPEN_UPLOADS and the tracker tries another node', 10_000, 1, 10_000_000),
  maxOpenUploadsPerClient: int('Resumable uploads one client (an IPv4 address, or an IPv6 /64, as the tracker names it) may hold unfinished on this node; more get 429 TOO_MANY_UPLOADS (0 = no cap)', 100, 0, 10_000_000),
  uploadExpiry: int('Seconds a resumable (tus) upload is kept after its last PATCH before its bytes are reclaimed', 86_400, 1, 365 * 86_400),
  id: optionalStr('Node id (default: generated once and kept in DATA/node-id)', NODE_ID_RE),
  scrubSchedule: cronExpr('When the scrub re-reads and checks every chunk (node-cron, UTC, seconds field allowed)', '0 0 3 * * *'),
  scrubRate: bytes('Scrub read rate in bytes/s, so user traffic keeps the disk (0 = unlimited)', 32 * MiB, 0, Number.MAX_SAFE_INTEGER),
  verifyCacheTtl: int('Seconds a chunk checked on read or by the scrub is trusted without hashing it again (0 = hash on every read)', 600, 0, 7 * 86_400),
  orphanSchedule: cronExpr('When copies of blobs the tracker does not know are looked for and reclaimed (node-cron, UTC)', '0 15 * * * *'),
  orphanGrace: int('Seconds a copy must stay unknown to the tracker before it is deleted', 86_400, 0, 365 * 86_400),
  quarantineKeep: int('Seconds a copy withdrawn after a failed check is kept for inspection before it is deleted', 7 * 86_400, 0, 365 * 86_400),
  metricsTokenFile: tokenFile('File whose first line (at least 16 characters) is the bearer token a metrics scraper sends to GET /metrics (empty: /metrics takes the cluster credential only)'),
  corsOrigins: origins('Web origins whose pages may upload, resume (tus) and download here: * for any, or a comma-separated list (empty: none)'),
  // Downloads (docs/tiers.md).
  uplinkRate: bytes('Bytes/s this node\'s downloads may send in all (0 = unlimited); when they want more, they share it by tier weight', 0, 0, Number.MAX_SAFE_INTEGER),
  uplinkWeights: tierWeights('Shares of a saturated uplink, as tier=weight pairs (inside the happy hour a lifted download weighs as premium)', 'premium=8,admin=8,free=2,anonymous=1'),
  uplinkMinShare: int('Percent of a saturated uplink split evenly among the waiting downloads before weights apply, so none starves', 10, 0, 100),
  testClock: testClock('For tests only: the instant (ISO) the download policy\'s clock reads at start (the happy hour); empty = the system clock'),
} as const;

export type NodeConfig = ConfigOf<typeof NODE_SPEC>;

export { ConfigError };
