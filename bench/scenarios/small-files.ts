// 4. Small files: uploads per second end to end (POST /api/uploads, PUT to
// the node, which hashes, fsyncs and commits to the tracker) and downloads
// per second, against a plain Node PUT-to-file server, all driven by the same
// client with the same number of requests in flight.
import { randomBytes } from 'node:crypto';
import { NODE_SERVER_LABEL } from '../baselines/node-servers.js';
import { syncDisks } from '../lib/context.js';
import { human, withUnit } from '../lib/format.js';
import { hoardDownload, hoardUpload, resolveLink } from '../lib/hoard.js';
import { BenchClient, closedLoop, getDiscard, put } from '../lib/http-client.js';
import { fig, hasValue, rows } from '../lib/result.js';
import type { Scenario } from './scenario.js';

const PREPARED = 200;

export const smallFiles: Scenario = {
  id: 'small',
  title: 'Small files',
  async run(ctx, res) {
    const { smallSize, smallConcurrency: conc, duration, repeats } = ctx.opts;
    const cluster = await ctx.cluster();
    const fsyncSrv = await ctx.nodeServer('fsync');
    const plainSrv = await ctx.nodeServer('plain');
    const client = new BenchClient(conc * 2);
    const ms = duration * 1000;
    const label = human(smallSize);
    try {
      // Uploads: every body is new random bytes, so hoard never takes the duplicate path.
      const up = { hoard: [] as number[], fsync: [] as number[], plain: [] as number[] };
      for (let r = 0; r < repeats; r++) {
        syncDisks();
        const h = await closedLoop(conc, ms, async (i) => {
          await hoardUpload(client, cluster.trackerUrl, `small-${r}-${i}.bin`, { buffer: randomBytes(smallSize) });
        });
        up.hoard.push(h.perSec);
        syncDisks();
        for (const [kind, srv] of [['fsync', fsyncSrv], ['plain', plainSrv]] as const) {
          const b = await closedLoop(conc, ms, async (i) => {
            const p = await put(client, `${srv.url}/small-${r}-${i}.bin`, { buffer: randomBytes(smallSize) });
            if (p.status !== 201) throw new Error(`${kind} server answered ${p.status}`);
          });
          up[kind].push(b.perSec);
          syncDisks();
        }
        ctx.log(`small uploads ${r + 1}/${repeats}: hoard ${withUnit(h.perSec, 'ops/s')}, node fsync ${withUnit(up.fsync.at(-1)!, 'ops/s')}, node no-fsync ${withUnit(up.plain.at(-1)!, 'ops/s')}`);
      }
      const h = fig(up.hoard);
      const f = fig(up.fsync);
      const p = fig(up.plain);
      res.rows.push(
        ...rows(`${label} uploads/s, ${conc} in flight`, 'ops/s', h, [
          { name: NODE_SERVER_LABEL.fsync, figure: f },
          { name: NODE_SERVER_LABEL.plain, figure: p },
        ]),
      );
      const rf = hasValue(h) && hasValue(f) ? h.summary.median / f.summary.median : NaN;
      const rp = hasValue(h) && hasValue(p) ? h.summary.median / p.summary.median : NaN;
      res.targets.push({
        text: 'small-file uploads ≥ 0.5 × plain Node PUT-to-file (fsync)',
        measured: `${rf.toFixed(2)}× (${rp.toFixed(2)}× of the no-fsync server)`,
        pass: rf >= 0.5,
      });

      // Downloads: a set of small files stored on each side, fetched at random.
      const links: string[] = [];
      const names: string[] = [];
      for (let i = 0; i < PREPARED; i += conc) {
        await Promise.all(
          Array.from({ length: Math.min(conc, PREPARED - i) }, async (_, k) => {
            const buf = randomBytes(smallSize);
            const u = await hoardUpload(client, cluster.trackerUrl, `get-${i + k}.bin`, { buffer: buf });
            links.push(u.result.link);
            const name = `get-${i + k}.bin`;
            const pr = await put(client, `${fsyncSrv.url}/${name}`, { buffer: buf });
            if (pr.status !== 201) throw new Error(`fsync server answered ${pr.status}`);
            names.push(name);
          }),
        );
      }
      const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
      const down = { flow: [] as number[], direct: [] as number[], base: [] as number[] };
      for (let r = 0; r < repeats; r++) {
        const a = await closedLoop(conc, ms, async () => {
          const d = await hoardDownload(client, pick(links));
          if (d.bytes !== smallSize) throw new Error(`hoard sent ${d.bytes} bytes of ${smallSize}`);
        });
        // Signed afresh each round (untimed): a signed download URL expires within minutes.
        const nodeUrls = await Promise.all(links.map((l) => resolveLink(client, l)));
        const b = await closedLoop(conc, ms, async () => {
          const d = await getDiscard(client, pick(nodeUrls));
          if (d.status !== 200 || d.bytes !== smallSize) throw new Error(`node answered ${d.status} with ${d.bytes} bytes`);
        });
        const c = await closedLoop(conc, ms, async () => {
          const d = await getDiscard(client, `${fsyncSrv.url}/${pick(names)}`);
          if (d.status !== 200 || d.bytes !== smallSize) throw new Error(`plain Node server answered ${d.status} with ${d.bytes} bytes`);
        });
        down.flow.push(a.perSec);
        down.direct.push(b.perSec);
        down.base.push(c.perSec);
        ctx.log(`small downloads ${r + 1}/${repeats}: hoard /f/ ${withUnit(a.perSec, 'ops/s')}, node URL ${withUnit(b.perSec, 'ops/s')}, plain Node ${withUnit(c.perSec, 'ops/s')}`);
      }
      const base = { name: 'plain Node GET from file', figure: fig(down.base) };
      res.rows.push(...rows(`${label} downloads/s via /f/<id> → 302 → node, ${conc} in flight`, 'ops/s', fig(down.flow), [base]));
      res.rows.push(...rows(`${label} downloads/s on the signed node URL, ${conc} in flight`, 'ops/s', fig(down.direct), [base]));
      res.notes.push(`Closed loop of ${conc} requests in flight for ${duration} s per run, undici in the bench process. A hoard upload is two client requests (POST /api/uploads, PUT to the node) plus the node's commit to the tracker; a download via /f/<id> is two requests (the tracker's 302, then the node).`);
    } finally {
      await client.close();
    }
  },
};
