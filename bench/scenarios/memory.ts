// 7. Memory under load: the storage node's resident set while it serves many
// concurrent downloads and takes several large uploads at once, next to
// nginx and the plain Node server doing the same work. The node is a fresh
// one, so its figure does not depend on which scenarios ran before.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_SERVER_LABEL } from '../baselines/node-servers.js';
import { syncDisks, type BenchContext } from '../lib/context.js';
import { human, withUnit } from '../lib/format.js';
import { hoardUpload, resolveLink, startCluster, type Cluster } from '../lib/hoard.js';
import { BenchClient, put } from '../lib/http-client.js';
import { RssSampler, rssBytes } from '../lib/rss.js';
import { fig, na, row, type Figure, type ScenarioResult } from '../lib/result.js';
import type { Scenario } from './scenario.js';

const LIMIT = 200e6;

/** Peak RSS of the node (and of nginx) while wrk keeps `memDownloads` whole-blob GETs open. */
async function downloads(ctx: BenchContext, nodePid: number, nodeUrl: string): Promise<{ node: Figure; nginx: Figure }> {
  const { repeats, duration, memDownloads } = ctx.opts;
  if (!ctx.wrk) return { node: na(`wrk not found at ${ctx.opts.wrk}`), nginx: na(`wrk not found at ${ctx.opts.wrk}`) };
  const nginx = await ctx.nginx();
  const nginxUrl = await ctx.nginxFile();
  const run = { connections: memDownloads, durationS: duration, timeoutS: duration + 60 };
  const node: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const s = new RssSampler(nodePid).start();
    const w = await ctx.wrk.run({ url: nodeUrl, ...run });
    node.push(s.stop());
    const b = s.breakdown();
    let line = `memory: ${memDownloads} downloads, node RSS ${withUnit(node.at(-1)!, 'MB')} (largest sample ${withUnit(b.anon, 'MB')} anonymous, ${withUnit(b.file, 'MB')} file-backed; ${withUnit(w.bytesPerSec, 'B/s')} in all)`;
    if (typeof nginxUrl === 'string' && !('absent' in nginx)) {
      const sn = new RssSampler(nginx.proc.pid, true).start();
      const wn = await ctx.wrk.run({ url: nginxUrl, ...run });
      base.push(sn.stop());
      line += `, nginx RSS ${withUnit(base.at(-1)!, 'MB')} (${withUnit(wn.bytesPerSec, 'B/s')} in all)`;
    }
    ctx.log(line);
  }
  return { node: fig(node), nginx: 'absent' in nginx ? na(nginx.absent) : fig(base) };
}

/** Peak RSS of the node (and of the plain Node server) during `memUploads` concurrent uploads of new content. */
async function uploads(ctx: BenchContext, cluster: Cluster): Promise<{ node: Figure; plain: Figure }> {
  const { repeats, memUploads, memUploadSize } = ctx.opts;
  const file = await ctx.bigFile();
  const srv = await ctx.nodeServer('hash-fsync');
  const client = new BenchClient(memUploads * 2);
  const node: number[] = [];
  const plain: number[] = [];
  try {
    for (let r = 0; r < repeats; r++) {
      syncDisks();
      const s = new RssSampler(cluster.node.pid).start();
      // A random prefix on the same file: every upload is new content.
      await Promise.all(
        Array.from({ length: memUploads }, (_, i) =>
          hoardUpload(client, cluster.trackerUrl, `mem-${r}-${i}.bin`, { file, size: memUploadSize, prefix: randomBytes(16) }),
        ),
      );
      node.push(s.stop());
      syncDisks();
      const sb = new RssSampler(srv.proc.pid).start();
      await Promise.all(
        Array.from({ length: memUploads }, async (_, i) => {
          const p = await put(client, `${srv.url}/mem-${r}-${i}.bin`, { file, size: memUploadSize, prefix: randomBytes(16) });
          if (p.status !== 201) throw new Error(`plain Node server answered ${p.status}`);
        }),
      );
      plain.push(sb.stop());
      for (let i = 0; i < memUploads; i++) rmSync(join(srv.root, `mem-${r}-${i}.bin`), { force: true });
      ctx.log(`memory: ${memUploads} uploads of ${human(memUploadSize)}, node RSS ${withUnit(node.at(-1)!, 'MB')}, plain Node ${withUnit(plain.at(-1)!, 'MB')}`);
    }
  } finally {
    await client.close();
  }
  return { node: fig(node), plain: fig(plain) };
}

async function measure(ctx: BenchContext, res: ScenarioResult, cluster: Cluster): Promise<void> {
  const { size, memDownloads, memUploads, memUploadSize, duration } = ctx.opts;
  const setup = new BenchClient(2);
  let nodeUrl: string;
  try {
    const up = await hoardUpload(setup, cluster.trackerUrl, 'served.bin', { file: await ctx.servedFile(), size });
    nodeUrl = await resolveLink(setup, up.result.link);
  } finally {
    await setup.close();
  }
  res.notes.push(`A fresh tracker and node; node RSS idle after storing the ${human(size)} blob: ${withUnit(rssBytes(cluster.node.pid), 'MB')}.`);

  const d = await downloads(ctx, cluster.node.pid, nodeUrl);
  res.rows.push(row(`node RSS, ${memDownloads} concurrent downloads of ${human(size)} (peak)`, 'MB', d.node, { name: 'nginx, master + worker', figure: d.nginx }));
  const u = await uploads(ctx, cluster);
  res.rows.push(row(`node RSS, ${memUploads} concurrent uploads of ${human(memUploadSize)} (peak)`, 'MB', u.node, { name: NODE_SERVER_LABEL['hash-fsync'], figure: u.plain }));

  const peaks = [d.node, u.node].flatMap((f) => ('summary' in f ? f.summary.samples : []));
  const worst = Math.max(...peaks);
  const complete = 'summary' in d.node;
  res.targets.push({
    text: 'node RSS < 200 MB in the memory scenario',
    measured: `${withUnit(worst, 'MB')} peak${complete ? '' : ' (uploads only: downloads not measured)'}`,
    // Only a run that measured both phases can pass; one over the limit misses either way.
    pass: worst >= LIMIT ? false : complete ? true : null,
  });
  res.notes.push(`RSS from /proc/<pid>/status: the kernel's peak (VmHWM, reset before each phase) and samples every 50 ms. Downloads: wrk with ${memDownloads} connections, each fetching the whole blob again and again for ${duration} s, on the signed node URL. Uploads: ${memUploads} concurrent end-to-end uploads from the bench's undici client.`);
}

export const memory: Scenario = {
  id: 'memory',
  title: 'Memory',
  async run(ctx, res) {
    if (ctx.opts.memUploadSize > ctx.opts.size) throw new Error(`--mem-upload-size ${ctx.opts.memUploadSize} is larger than --size ${ctx.opts.size}`);
    const cluster = await startCluster(ctx.procs, ctx.root, ctx.dir('hoard-memory'));
    try {
      await measure(ctx, res, cluster);
    } finally {
      await cluster.stop();
    }
  },
};
