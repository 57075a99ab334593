// 9. The write quorum's price: one-stream uploads of a new file to a
// two-zone cluster acknowledging after two copies (the first node streams
// the bytes to a node in the other zone as they arrive) against the same
// cluster shape acknowledging after one, alternating, in the same run.
// Measured twice: with both nodes sharing every core, and with each node
// held to a core of its own (taskset), which is closer to what two servers
// give each node; the tracker and the client run on any core in both.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { freshen } from '../lib/files.js';
import { human, withUnit } from '../lib/format.js';
import { syncDisks, type BenchContext } from '../lib/context.js';
import { hoardUpload, startTwoZones, waitCopies, type Cluster } from '../lib/hoard.js';
import { BenchClient } from '../lib/http-client.js';
import { fig, hasValue, rows, type Figure } from '../lib/result.js';
import type { Scenario } from './scenario.js';

/** Each upload is stored once per copy on the one disk: the file is capped so a run does not fill it. */
const MAX_SIZE = 256 * 1024 * 1024;

type Layout = 'shared' | 'pinned';

/**
 * Holds every thread of each node of each cluster to one core: the first
 * node to core 0, the second to core 1. Threads started later (the hash
 * pool) inherit it. False when the machine or taskset cannot.
 */
function pinNodes(clusters: Cluster[]): boolean {
  if (os.availableParallelism() < 2) return false;
  for (const c of clusters) {
    for (const [i, p] of c.nodes.entries()) {
      const r = spawnSync('taskset', ['--all-tasks', '--cpu-list', '--pid', String(i % 2), String(p.pid)], { stdio: 'ignore' });
      if (r.status !== 0) return false;
    }
  }
  return true;
}

/** One upload of a fresh version of `file`, then (untimed) the wait for its second copy. */
async function uploadOnce(cluster: Cluster, file: string, size: number, name: string): Promise<{ rate: number; settledMs: number }> {
  freshen(file);
  syncDisks();
  const c = new BenchClient(2);
  const up = await hoardUpload(c, cluster.trackerUrl, name, { file, size }).finally(() => c.close());
  if (up.result.dedup) throw new Error('a new upload came back as a duplicate (dedup: true)');
  // Not timed: ackCopies 1's second copy, made after its 201, must not run during the next upload timed.
  const settledMs = await waitCopies(cluster, up.result.sha256, 2);
  return { rate: size / (up.ms / 1000), settledMs };
}

/**
 * Untimed uploads to each cluster first, so that neither is timed while V8
 * still compiles its paths (the quorum's pipeline and follower code on the
 * one side, the replicate worker's on the other); two each, as either node
 * may be the one that receives.
 */
async function warmUp(ctx: BenchContext, clusters: Cluster[], size: number): Promise<void> {
  const file = await ctx.bigFile();
  for (let i = 0; i < 2; i++) for (const [k, cluster] of clusters.entries()) await uploadOnce(cluster, file, size, `quorum-warm-${k}-${i}.bin`);
}

async function race(ctx: BenchContext, one: Cluster, two: Cluster, size: number, layout: Layout): Promise<{ q1: Figure; q2: Figure }> {
  const file = await ctx.bigFile();
  const q1: number[] = [];
  const q2: number[] = [];
  for (let r = 0; r < ctx.opts.repeats; r++) {
    const a = await uploadOnce(one, file, size, `quorum-${layout}-1-${r}.bin`);
    const b = await uploadOnce(two, file, size, `quorum-${layout}-2-${r}.bin`);
    q1.push(a.rate);
    q2.push(b.rate);
    ctx.log(`quorum ${layout} ${r + 1}/${ctx.opts.repeats}: ackCopies 2 ${withUnit(b.rate, 'B/s')}, ackCopies 1 ${withUnit(a.rate, 'B/s')} (its second copy ${a.settledMs} ms after the 201)`);
  }
  return { q1: fig(q1), q2: fig(q2) };
}

const ratioOf = (f2: Figure, f1: Figure) => (hasValue(f2) && hasValue(f1) ? f2.summary.median / f1.summary.median : NaN);

export const quorum: Scenario = {
  id: 'quorum',
  title: 'Upload under a write quorum of 2 against 1',
  async run(ctx, res) {
    const size = Math.min(ctx.opts.size, MAX_SIZE);
    const one = await startTwoZones(ctx.procs, ctx.root, ctx.dir('quorum-1'), 1);
    const two = await startTwoZones(ctx.procs, ctx.root, ctx.dir('quorum-2'), 2);
    try {
      await warmUp(ctx, [one, two], size);
      const shared = await race(ctx, one, two, size, 'shared');
      res.rows.push(...rows(`upload ${human(size)}, 1 stream, ackCopies 2, nodes sharing both cores`, 'B/s', shared.q2, [{ name: 'the same, ackCopies 1', figure: shared.q1 }]));
      const r = ratioOf(shared.q2, shared.q1);
      if (!pinNodes([one, two])) {
        res.targets.push({ text: 'upload with ackCopies 2 ≥ 0.8 × ackCopies 1', measured: `${r.toFixed(2)}× (nodes sharing cores; a core per node was not possible here)`, pass: r >= 0.8 });
        return;
      }
      const pinned = await race(ctx, one, two, size, 'pinned');
      res.rows.push(...rows(`upload ${human(size)}, 1 stream, ackCopies 2, a core per node`, 'B/s', pinned.q2, [{ name: 'the same, ackCopies 1', figure: pinned.q1 }]));
      const p = ratioOf(pinned.q2, pinned.q1);
      res.targets.push({ text: 'upload with ackCopies 2 ≥ 0.8 × ackCopies 1 (a core per node)', measured: `${p.toFixed(2)}× (${r.toFixed(2)}× with the nodes sharing both cores)`, pass: p >= 0.8 });
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
    res.notes.push(
      'Two nodes in zones a and b on one machine and one disk. Shared: both nodes, the tracker and the client share every core, so under the quorum the machine hashes, writes and fsyncs every byte twice and sends it over the loopback once more on the same cores. A core per node: each node (all its threads) is held to a core of its own, as each would have its own server; the disk is still shared. After each upload the race waits until the index lists two copies of it: under ackCopies 1 the replicate worker makes the second copy within a few seconds of the 201, and that copy must not run during the next upload timed. Two untimed uploads to each cluster come first, so neither is timed while V8 still compiles its code paths.',
    );
  },
};
