// Node loss on several hosts: the tracker, four storage nodes (zones a, b,
// c, c) and a client, each in its own network namespace on a private bridge
// (test/helpers/netns.ts). With two copies of every blob, one node is killed
// with SIGKILL: the tracker knows at once (plain curl -L succeeds), hoard get
// needs at most one retry,
// every blob is back at two verified copies in two zones within REPAIR_BOUND_MS,
// and when the node returns its now-extra copies are reconciled away.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AUTH_HEADER } from '../../common/protocol/routes.js';
import { type NodeStatus, type RepairStatus, type UploadResult } from '../../common/protocol/types.js';
import { clusterAuth } from '../../common/sign.js';
import { DOWNLOADS_UNLIMITED_ENV } from '../../scripts/cluster/cluster.js';
import { startDaemon, type Proc } from '../../scripts/cluster/processes.js';
import { BIN, missingBuild, type BlobRecord } from '../helpers/cluster.js';
import { blobIdsOnDisk, makeRandomFile, sha256File, tempDir } from '../helpers/files.js';
import { createLab, labUnavailable, type Lab } from '../helpers/netns.js';
import { describeRun, waitFor } from '../helpers/proc.js';
import { copyProblem } from '../helpers/replicas.js';

/**
 * From SIGKILL to every blob at two verified copies in two zones. Made of:
 * detection (at once: the node's heartbeat stream closes) + repair grace (2 s here) + the repair
 * schedule (1 s here) + the copies themselves (~8 blobs, ~10 MiB). See the
 * figures measured on a 2-core machine in docs/operations.md; the bound
 * leaves room for a loaded CI machine.
 */
const REPAIR_BOUND_MS = 30_000;
const NEVER = '0 0 1 1 *';
const PORT = 8080;

const skip = missingBuild() ?? labUnavailable();
// One enclosing test: the steps between subtests (kill, restart) must run before the lab is torn down.
t.test('tracker and four nodes in network namespaces, RF 2, SIGKILL one node', skip ? { skip: `multi-host test skipped: ${skip}` } : {}, main);

async function main(t: Test): Promise<void> {
  const work = await tempDir('hoard-multihost-');
  t.teardown(work.cleanup);
  const lab: Lab = createLab(['tracker', 'n1', 'n2', 'n3', 'n4', 'client']);
  const daemons: Proc[] = [];
  t.teardown(async () => {
    if (!t.passing() || process.env.HOARD_TEST_LOGS) for (const d of daemons) process.stderr.write(`--- ${d.name} ---\n${d.tail(Number(process.env.HOARD_TEST_LOGS) || 30)}\n`);
    await Promise.all(daemons.map((d) => d.kill('SIGTERM')));
    lab.destroy();
  });

  const secret = randomBytes(24).toString('hex');
  const trackerUrl = `http://${lab.hosts.tracker!.addr}:${PORT}`;
  const env = { ...process.env, HOARD_TRACKER: trackerUrl, HOARD_SECRET: secret, HOARD_LOG_LEVEL: 'warn' };
  const zones: Record<string, string> = { n1: 'a', n2: 'b', n3: 'c', n4: 'c' };

  /** `node script ...args` inside host's namespace, its log beside the data. */
  const start = (name: string, host: string, script: string, args: string[]) =>
    startDaemon({
      name, script, args, wrap: lab.hosts[host]!.wrap,
      logFile: join(work.dir, 'logs', `${name.replace(/\W+/g, '-').replace(/-$/, '')}.log`),
      // Many downloads at once from the one test address: the download policy would hold them to one at a time.
      env: { ...process.env, HOARD_LOG_LEVEL: 'info', ...DOWNLOADS_UNLIMITED_ENV },
    });

  const tracker = await start(
    'tracker',
    'tracker',
    BIN.tracker,
    [
      '--data', join(work.dir, 'tracker'), '--host', lab.hosts.tracker!.addr, '--port', String(PORT), '--secret', secret,
      '--replicas', '2', '--repair-grace', '2000',
      '--replicate-schedule', '*/1 * * * * *', '--repair-schedule', '*/1 * * * * *',
      '--reconcile-schedule', NEVER, '--rebalance-schedule', NEVER, '--reconcile-min-age', '0',
    ],
  );
  daemons.push(tracker);

  const nodeArgs = (name: string) => [
    '--tracker', trackerUrl, '--data', join(work.dir, name), '--host', lab.hosts[name]!.addr, '--port', String(PORT),
    '--secret', secret, '--zone', zones[name]!, '--id', name, '--chunk-size', '256KiB',
  ];
  const nodes: Record<string, Proc> = {};
  for (const name of Object.keys(zones)) {
    await mkdir(join(work.dir, name), { recursive: true });
    nodes[name] = await start(`node ${name}`, name, BIN.node, nodeArgs(name));
    daemons.push(nodes[name]!);
  }

  /** hoard-admin inside the client's namespace. */
  const admin = async <T>(args: string[]): Promise<T> => {
    const r = await lab.exec('client', process.execPath, [BIN.admin, ...args, '--json'], { env, timeoutMs: 20_000 });
    if (r.code !== 0) throw new Error(`hoard-admin ${args.join(' ')}: ${describeRun(r)}`);
    return JSON.parse(r.stdout) as T;
  };
  /** A signed GET of a tracker route with curl inside the client's namespace: cheap enough to poll. */
  const api = async <T>(path: string): Promise<T> => {
    const r = await lab.exec('client', 'curl', ['-sS', '-f', '-H', `${AUTH_HEADER}: ${clusterAuth(secret, 'GET', path)}`, trackerUrl + path], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`GET ${path}: ${describeRun(r)}`);
    return JSON.parse(r.stdout) as T;
  };
  const blobs = () => api<BlobRecord[]>('/internal/admin/blobs?limit=1000');

  await t.test('the hosts reach each other only inside the lab', async (t) => {
    await waitFor('four nodes up', async () => (await api<NodeStatus[]>('/internal/admin/nodes')).filter((n) => n.state === 'up').length === 4, 20_000, 300);
    const list = await admin<NodeStatus[]>(['nodes']);
    t.same(list.map((n) => `${n.id}:${n.zone}`).sort(), ['n1:a', 'n2:b', 'n3:c', 'n4:c']);
    for (const n of list) t.match(n.publicUrl, /^http:\/\/198\.18\.0\.\d+:8080$/, `${n.id} announces its lab address`);
  });

  const uploads: UploadResult[] = [];
  const files: string[] = [];
  await t.test('uploads from the client reach two copies in two zones', async (t) => {
    for (let i = 0; i < 16; i++) {
      const f = await makeRandomFile(join(work.dir, `up-${i}.bin`), i === 0 ? 0 : 1 + Math.floor(Math.random() * 1_800_000));
      files.push(f.path);
    }
    const r = await lab.exec('client', process.execPath, [BIN.client, 'put', '--json', ...files], { env, timeoutMs: 60_000 });
    t.equal(r.code, 0, describeRun(r));
    for (const line of r.stdout.trim().split('\n')) uploads.push(JSON.parse(line) as UploadResult);
    t.equal(uploads.length, files.length);
    await settled(t, 'replicated', [], 20_000);
  });

  // Prefer a victim that holds many blobs: more downloads meet the dead node.
  const before = await blobs();
  const count = (id: string) => before.filter((b) => b.nodes.includes(id)).length;
  const victim = Object.keys(zones).sort((a, b) => count(b) - count(a))[0]!;

  const killedAt = Date.now();
  await nodes[victim]!.kill('SIGKILL');
  // Watch for the repair from the moment of the kill, while the downloads below run.
  const repaired = (async () => {
    for (;;) {
      if ((await problems(await blobs(), [victim])).length === 0) return Date.now() - killedAt;
      if (Date.now() - killedAt > REPAIR_BOUND_MS + 10_000) return Infinity;
      await new Promise((r) => setTimeout(r, 250));
    }
  })();

  await t.test(`downloads while ${victim} is lost succeed (hoard get after at most one retry)`, async (t) => {
    // First, deterministically: the tracker saw the node's process end (its heartbeat stream
    // closed), so it sends no client there, not even one asking to avoid the only other holder.
    const probe = uploads.find((u) => u.size > 0 && onVictim(u))!;
    const survivor = before.find((b) => b.id === probe.sha256)!.nodes.find((n) => n !== victim)!;
    const head = await lab.exec('client', 'curl', ['-sS', '-o', '/dev/null', '-D', '-', `${probe.link}?avoid=${survivor}`], { timeoutMs: 10_000 });
    t.match(head.stdout, new RegExp(`x-hoard-node: ${survivor}`, 'i'), 'the tracker already knows: it sends the client to the survivor');
    const out = join(work.dir, 'probe.bin');
    const plain = await lab.exec('client', 'curl', ['-sS', '-L', '-f', '-o', out, probe.link], { timeoutMs: 30_000 });
    t.equal(plain.code, 0, `a plain curl -L succeeds at once: ${describeRun(plain)}`);
    t.equal(await sha256File(out), probe.sha256, 'byte-identical');

    // Then every link with hoard get, which does the same by itself.
    const order = [...uploads].sort((a, b) => Number(onVictim(b)) - Number(onVictim(a)));
    let retried = 0;
    const one = async (u: UploadResult) => {
      const dest = join(work.dir, `down-${u.id}`);
      const r = await lab.exec('client', process.execPath, [BIN.client, 'get', u.link, '-o', dest], { env, timeoutMs: 60_000 });
      const retries = r.stderr.split('\n').filter((l) => l.startsWith('hoard: ')).length;
      t.equal(r.code, 0, `get ${u.id}: ${describeRun(r)}`);
      t.ok(retries <= 1, `get ${u.id}: ${retries} retries`);
      if (retries > 0) retried++;
      t.equal(await sha256File(dest), u.sha256, `get ${u.id}: byte-identical`);
    };
    const queue = [...order];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let u = queue.shift(); u; u = queue.shift()) await one(u);
    }));
    t.comment(`${retried} of ${order.length} hoard get runs met the lost node and switched copy once (${Date.now() - killedAt} ms after the kill)`);
  });

  await t.test(`every blob is back at two verified copies in two zones within ${REPAIR_BOUND_MS} ms`, async (t) => {
    const ms = await repaired;
    t.ok(ms <= REPAIR_BOUND_MS, `repaired ${ms} ms after SIGKILL (first poll, every 0.25 s, that saw every blob at two verified copies in two zones, none on ${victim})`);
    t.comment(`repair time after SIGKILL: ${ms} ms`);
    await settled(t, 'repaired', [victim], 1_000);
    const status = await admin<RepairStatus>(['repair']);
    t.equal(status.counts.belowFactor, 0, 'hoard-admin repair: nothing below the factor');
    t.ok(status.totals.copied > 0, `copies made: ${status.totals.copied}, ${status.totals.bytesCopied} bytes`);
  });

  await t.test(`${victim} returns: its extra copies are reconciled away`, async (t) => {
    const listedBefore = (await blobs()).filter((b) => b.nodes.includes(victim)).length;
    const onDisk = (await blobIdsOnDisk(join(work.dir, victim))).length;
    t.ok(onDisk > listedBefore, `${victim} comes back with ${onDisk} copies, the index lists ${listedBefore} on it`);
    const back = await start(`node ${victim} (back)`, victim, BIN.node, nodeArgs(victim));
    daemons.push(back);
    await waitFor(`${victim} up`, async () => (await api<NodeStatus[]>('/internal/admin/nodes')).some((n) => n.id === victim && n.state === 'up'), 20_000, 300);
    await waitFor(
      `${victim}'s disk matches the index`,
      async () => {
        const listed = (await blobs()).filter((b) => b.nodes.includes(victim)).map((b) => b.id).sort();
        return JSON.stringify(await blobIdsOnDisk(join(work.dir, victim))) === JSON.stringify(listed);
      },
      20_000,
      500,
    );
    t.pass(`${victim}'s disk now holds only what the index lists on it`);
    await settled(t, 'still two copies each', [], 10_000);
  });

  function onVictim(u: UploadResult): boolean {
    return before.some((b) => b.id === u.sha256 && b.nodes.includes(victim));
  }

  /** What keeps the uploads from being at exactly two copies, in two zones, none on `exclude`, each verified on disk. */
  async function problems(index: BlobRecord[], exclude: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const u of uploads) {
      const b = index.find((x) => x.id === u.sha256);
      if (!b) {
        out.push(`${u.sha256.slice(0, 8)} missing`);
        continue;
      }
      const z = new Set(b.nodes.map((n) => zones[n]));
      if (b.nodes.length !== 2 || z.size !== 2 || b.nodes.some((n) => exclude.includes(n))) out.push(`${b.id.slice(0, 8)} on ${b.nodes.join(',')}`);
      for (const n of b.nodes) {
        const why = await copyProblem(join(work.dir, n), b.id, u);
        if (why) out.push(`${b.id.slice(0, 8)} on ${n}: ${why}`);
      }
    }
    return out;
  }

  async function settled(t: Test, what: string, exclude: string[], timeoutMs: number): Promise<void> {
    let last: string[] = [];
    try {
      await waitFor(what, async () => (last = await problems(await blobs(), exclude)).length === 0, timeoutMs, 250);
    } catch (err) {
      t.fail(`${(err as Error).message}: ${last.slice(0, 8).join('; ')}`);
      return;
    }
    t.pass(`${what}: ${uploads.length} blobs at two verified copies in two zones`);
  }
}
