// hoard-tracker's configuration keys, their defaults and checks.
import { ConfigError, bytes, int, secret, str, url, type ConfigOf, type Field } from '../common/config.js';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_MISSES_DOWN } from '../common/protocol.js';
import { cronExpr } from '../common/schedule.js';

/** An http(s) URL, or '' for "derive it from host and the actual port". */
const optionalUrl = (doc: string): Field<string> => {
  const inner = url(doc);
  return { doc, default: '', parse: (raw, key) => (raw === '' ? '' : inner.parse(raw, key)) };
};

export const trackerSpec = {
  data: str('Directory holding the tracker metadata (LevelDB)'),
  port: int('TCP port to listen on (0 = any free port)', 8080, 0, 65535),
  host: str('Address to listen on', '127.0.0.1'),
  publicUrl: optionalUrl('Base URL clients use to reach the tracker (default http://<host>:<port>)'),
  secret: secret('Cluster secret shared with storage nodes and admins (≥ 16 characters)'),
  urlTtl: int('Lifetime of signed data-plane URLs, in seconds', 3600, 10, 7 * 86_400),
  nodeDownAfter: int('Milliseconds without a heartbeat after which a node is down', HEARTBEAT_MISSES_DOWN * HEARTBEAT_INTERVAL_MS, 500, 86_400_000),
  maxUploadSize: bytes('Largest accepted upload, bytes (e.g. 10GiB)', 1024 ** 4, 0, 1024 ** 5),
  uploadMargin: bytes('Free bytes a node must have beyond an upload\'s size to be chosen for it (heartbeat lag; nodes already leave out their reserve)', 64 * 1024 ** 2, 0, 1024 ** 5),
  gcSchedule: cronExpr('When blobs without links past their grace period are deleted from every node (node-cron, UTC, seconds field allowed)', '0 */10 * * * *'),
  gcGrace: int('Seconds a blob keeps its bytes after its last link is deleted', 86_400, 0, 365 * 86_400),
  scrubRepairSchedule: cronExpr('When copies reported bad are re-copied from a good copy (node-cron, UTC)', '*/30 * * * * *'),
  fsckSchedule: cronExpr('When fsck compares the index with every node and reports differences (node-cron, UTC; repairs only from hoard-admin fsck --repair)', '0 30 4 * * *'),
};

export type TrackerConfig = ConfigOf<typeof trackerSpec>;

export { ConfigError };
