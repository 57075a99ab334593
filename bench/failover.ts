// How soon the tracker knows a node is gone, and how long uploads are refused
// after a tracker restart, on a real cluster (a tracker and two nodes, as
// `npm start` runs them):
//   - detection: `kill -9` of a node → the tracker's "node down" log line
//     (its own timestamp), each round then starting the node again;
//   - restart window: SIGTERM to the tracker, start it again on the same port
//     → the first upload target it offers, counted from its "listening" line
//     (every answer before that is 503 NO_NODE_AVAILABLE).
//
//   npm run build && node dist/bench/failover.js [rounds=15]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { freePort } from '../common/http.js';
import { TRACKER } from '../common/protocol/routes.js';
import { HoardCluster, type Member } from '../scripts/cluster/cluster.js';
import type { Proc } from '../scripts/cluster/processes.js';

const rounds = Number(process.argv[2] ?? 15);
const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const POLL_MS = 2;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const summary = (xs: number[]) => `median ${median(xs)} ms, min ${Math.min(...xs)}, max ${Math.max(...xs)} (${xs.length} rounds)`;

/** Waits for a log record of `p` matching `test`, after the first `skip` records; returns its time. */
async function logged(p: Proc, skip: number, test: (r: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = p.records().slice(skip).find(test);
    if (hit) return Number(hit.time);
    if (Date.now() > deadline) throw new Error(`${p.name}: no such log line within ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

async function uploadTargetOffered(base: string): Promise<boolean> {
  try {
    const r = await request(base + TRACKER.uploadTarget, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filename: 'probe', size: 1 }) });
    await r.body.dump();
    return r.statusCode === 200;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hoard-failover-'));
  const port = await freePort();
  const cluster = new HoardCluster({
    dist: DIST,
    secretFile: join(dir, 'secret'),
    logDir: join(dir, 'logs'),
    tracker: { name: 'tracker', data: join(dir, 'tracker'), port, host: '127.0.0.1' },
    nodes: ['a', 'b'].map((zone) => ({ name: `node-${zone}`, id: `bench-${zone}`, zone, data: join(dir, `node-${zone}`), host: '127.0.0.1' })),
    env: { HOARD_LOG_LEVEL: 'info' },
  });
  try {
    await cluster.start();
    await cluster.waitRegistered();
    const victim = cluster.nodes[0] as Member;
    const id = 'bench-a';

    const detection: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const skip = cluster.tracker.proc.records().length;
      const t0 = Date.now();
      process.kill(victim.proc.pid, 'SIGKILL');
      detection.push((await logged(cluster.tracker.proc, skip, (r) => r.msg === 'node down' && r.node === id)) - t0);
      await victim.kill();
      await victim.start();
      await cluster.waitRegistered([victim], { intervalMs: 20 });
    }
    process.stdout.write(`kill -9 of a node → marked down at the tracker: ${summary(detection)}\n`);

    const window: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await cluster.tracker.kill('SIGTERM');
      const restarted = cluster.tracker.start();
      // Poll from the moment the new process exists; the window is counted from its "listening" line.
      await restarted;
      const listening = await logged(cluster.tracker.proc, 0, (r) => r.msg === 'listening');
      while (!(await uploadTargetOffered(cluster.trackerUrl))) await sleep(POLL_MS);
      window.push(Date.now() - listening);
      await cluster.waitRegistered(cluster.nodes, { intervalMs: 20 });
    }
    process.stdout.write(`tracker restart → first upload target after it listens (NO_NODE_AVAILABLE before): ${summary(window)}\n`);
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
