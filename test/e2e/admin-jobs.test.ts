// Long admin operations run as jobs: `hoard-admin scrub NODE` on a node
// behind a proxy that cuts connections silent for 1.5 s (as a reverse proxy's
// idle timeout would) finishes and prints its report, though the scrub takes
// several seconds: no call waits on the scrub itself. Exit codes: 2 when the
// check could not run. In the quick start's folder hoard-admin finds
// ./data/secret and says so. The daemons' metrics pass promtool.
import t from 'tap';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { callJson } from '../../common/client.js';
import { NODE } from '../../common/protocol/routes.js';
import type { WorkerReport } from '../../common/worker.js';
import { BIN, useCluster } from '../helpers/cluster.js';
import { makeRandomFile, tempDir } from '../helpers/files.js';
import { describeRun, run } from '../helpers/proc.js';
import { http, metricsAuth } from '../helpers/http.js';
import { spawnSync } from 'node:child_process';
import { startCutProxy } from '../helpers/proxy.js';
import { REPO_ROOT } from '../helpers/repo-root.js';

const CHUNK = 64 * 1024;
const NEVER = '0 0 1 1 *';
const IDLE_CUT_MS = 1_500;
const proxy = await startCutProxy({ cutAfterBytes: Infinity, idleCutMs: IDLE_CUT_MS });
t.teardown(() => proxy.close());
const c = await useCluster(t, {
  nodes: [{ zone: 'a', publicUrl: proxy.url }],
  chunkSize: CHUNK,
  // 64 KiB/s: the scrub of 5 chunks takes about 4 s, well past the proxy's idle cut.
  nodeArgs: ['--scrub-schedule', NEVER, '--orphan-schedule', NEVER, '--scrub-rate', String(CHUNK)],
  waitUp: false,
});
const node = c.nodes[0]!;
proxy.setTarget(node.port);
await c.waitUp();
// The metrics pages before any upload, download or worker run.
const freshMetrics = { tracker: '', node: '' };
for (const [role, base] of [['tracker', c.trackerUrl], ['node', node.directUrl]] as const) {
  await http(`${base}/health`);
  freshMetrics[role] = (await http(`${base}/metrics`, { headers: metricsAuth(c.secret) })).text;
}
const work = await tempDir();
t.teardown(work.cleanup);

const f = await makeRandomFile(join(work.dir, 'five.bin'), 5 * CHUNK);
const put = await c.client(['put', f.path]);
if (put.code !== 0) throw new Error(`hoard put failed: ${describeRun(put)}`);

t.test('a scrub longer than the idle cut between the CLI and the node finishes and reports', async (t) => {
  const started = Date.now();
  const r = await c.adminRun(['scrub', node.id]);
  const ms = Date.now() - started;
  t.equal(r.code, 0, describeRun(r));
  t.match(r.stdout, `scrub on ${node.id}: 1 blob(s), 5 chunk(s), ${5 * CHUNK} bytes read`);
  t.ok(ms > IDLE_CUT_MS, `the scrub took ${ms} ms, longer than the ${IDLE_CUT_MS} ms idle cut`);
});

t.test('the same scrub asked for in one call, as hoard-admin did before, is cut by the proxy', async (t) => {
  await t.rejects(callJson(proxy.url, 'POST', `${NODE.workers}/scrub/run`, { secret: c.secret, body: {}, timeoutMs: 60_000 }), /other side closed|socket|ECONNRESET/);
});

t.test('worker run --node runs as a job too, and --json prints its report', async (t) => {
  const r = await c.adminRun(['worker', 'run', 'scrub', '--node', node.id, '--json']);
  t.equal(r.code, 0, describeRun(r));
  t.match((JSON.parse(r.stdout) as { report: WorkerReport }).report, { blobs: 1, badChunks: 0 });
});

t.test('fsck and scrub exit 2 when the check cannot run, naming what failed', async (t) => {
  const unknown = await c.adminRun(['scrub', 'no-such-node']);
  t.equal(unknown.code, 2, describeRun(unknown));
  t.match(unknown.stderr, 'no-such-node');
  const gone = await c.adminRun(['fsck', '--tracker', 'http://127.0.0.1:1']);
  t.equal(gone.code, 2, describeRun(gone));
  t.match(gone.stderr, 'TRACKER_UNREACHABLE: cannot reach the tracker at http://127.0.0.1:1');
});

t.test('in the quick start folder, hoard-admin finds ./data/secret and says so', async (t) => {
  const dir = join(work.dir, 'quickstart');
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(join(dir, 'data', 'secret'), c.secret + '\n', { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...process.env, HOARD_TRACKER: c.trackerUrl, HOARD_LOG_LEVEL: 'warn' };
  delete env.HOARD_SECRET;
  delete env.HOARD_DATA;
  const r = await run(process.execPath, [BIN.admin, 'stats', '--json'], { cwd: dir, env, timeoutMs: 20_000 });
  t.equal(r.code, 0, describeRun(r));
  t.match(r.stderr, 'using the cluster secret in ./data/secret');
  const none = await run(process.execPath, [BIN.admin, 'stats'], { cwd: work.dir, env, timeoutMs: 20_000 });
  t.equal(none.code, 1, describeRun(none));
  t.match(none.stderr, 'SECRET_REQUIRED');
});

const promtool = spawnSync('promtool', ['--version']).error ? 'promtool is not installed (apt-get install prometheus)' : false;

t.test('the tracker\'s and the node\'s /metrics pass promtool check metrics', { skip: promtool }, async (t) => {
  for (const base of [c.trackerUrl, node.directUrl]) {
    const page = await http(`${base}/metrics`, { headers: metricsAuth(c.secret) });
    t.equal(page.status, 200);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: page.text, encoding: 'utf8' });
    t.equal(r.status, 0, `${base}/metrics: ${r.stdout}${r.stderr}`);
  }
});

/** Metric names in the docs' metric tables, with the role the table names. */
async function documentedMetrics(): Promise<Array<{ name: string; where: string }>> {
  const out: Array<{ name: string; where: string }> = [];
  const ops = await readFile(join(REPO_ROOT, 'docs/operations.md'), 'utf8');
  const table = ops.slice(ops.indexOf('| metric | where | watch for |')).split('\n\n')[0]!;
  for (const row of table.split('\n').slice(2)) {
    const [, names, where] = row.split('|');
    for (const m of names!.matchAll(/hoard_[a-z_]+/g)) out.push({ name: m[0], where: where!.trim() });
  }
  const tiers = await readFile(join(REPO_ROOT, 'docs/tiers.md'), 'utf8');
  for (const m of tiers.matchAll(/^\| `(hoard_[a-z_]+)[{`]/gm)) out.push({ name: m[1]!, where: 'node' });
  return out;
}

t.test('every documented metric has a series from the start, at 0 before any traffic', async (t) => {
  const documented = await documentedMetrics();
  t.ok(documented.length >= 20, `${documented.length} documented metrics`);
  for (const { name, where } of documented) {
    // The time of a worker's last success appears at its first success (0 would read as 1970).
    if (name === 'hoard_worker_last_success_timestamp_seconds') continue;
    for (const role of ['tracker', 'node'] as const) {
      if (!where.includes(role) && where !== 'both') continue;
      const sample = new RegExp(`^${name}(_count|_total)?(\\{[^}]*\\})? `, 'm');
      t.match(freshMetrics[role], sample, `${name} on the ${role}`);
    }
  }
  t.match(freshMetrics.node, /^hoard_scrub_errors_total\{source="read"\} 0$/m, 'a labelled series at 0 for each of its label values');
  t.match(freshMetrics.tracker, /^hoard_bytes_out_total\{route="\/f\/\*id"\} 0$/m, 'every route\'s byte counters at 0');
  for (const role of ['tracker', 'node'] as const) {
    const got = Number(/^hoard_bytes_in_total\{route="\/health"\} (\d+)$/m.exec(freshMetrics[role])?.[1]);
    t.ok(got >= 'GET /health HTTP/1.1\r\n'.length, `${role}: a bodiless request's head is counted in hoard_bytes_in_total (${got})`);
  }
});

