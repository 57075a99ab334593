// 2. One-stream download of the large file: hoard (/f/<id> → 302 → node)
// against nginx serving the same bytes with sendfile, both read by the same
// client, which discards the body.
import { human, withUnit } from '../lib/format.js';
import { hoardDownload } from '../lib/hoard.js';
import { BenchClient, getDiscard } from '../lib/http-client.js';
import { fig, hasValue, na, rows, type Figure } from '../lib/result.js';
import type { Scenario } from './scenario.js';

export const download: Scenario = {
  id: 'download',
  title: 'Download, one stream',
  async run(ctx, res) {
    const { size, repeats } = ctx.opts;
    const blob = await ctx.hoardBlob();
    const nginxUrl = await ctx.nginxFile();
    const hoard: number[] = [];
    const ngx: number[] = [];
    // One warm-up each, so neither side pays for a cold page cache or manifest cache.
    const warm = new BenchClient(2);
    await hoardDownload(warm, blob.link);
    if (typeof nginxUrl === 'string') await getDiscard(warm, nginxUrl);
    await warm.close();
    for (let r = 0; r < repeats; r++) {
      const c1 = new BenchClient(2);
      const d = await hoardDownload(c1, blob.link).finally(() => c1.close());
      if (d.bytes !== size) throw new Error(`hoard sent ${d.bytes} bytes of ${size}`);
      hoard.push(size / (d.ms / 1000));
      if (typeof nginxUrl === 'string') {
        const c2 = new BenchClient(1);
        const n = await getDiscard(c2, nginxUrl).finally(() => c2.close());
        if (n.status !== 200 || n.bytes !== size) throw new Error(`nginx answered ${n.status} with ${n.bytes} bytes`);
        ngx.push(size / (n.ms / 1000));
      }
      ctx.log(`download ${r + 1}/${repeats}: hoard ${withUnit(hoard.at(-1)!, 'B/s')}${ngx.length ? `, nginx ${withUnit(ngx.at(-1)!, 'B/s')}` : ''}`);
    }
    const h = fig(hoard);
    const n: Figure = typeof nginxUrl === 'string' ? fig(ngx) : na(nginxUrl.absent);
    res.rows.push(...rows(`download ${human(size)}, 1 stream`, 'B/s', h, [{ name: 'nginx, sendfile', figure: n }]));
    const ratio = hasValue(h) && hasValue(n) ? h.summary.median / n.summary.median : NaN;
    res.targets.push({
      text: 'download ≥ 1.0 × nginx',
      measured: hasValue(n) ? `${ratio.toFixed(2)}×` : `n/a: ${typeof nginxUrl === 'string' ? 'no figure' : nginxUrl.absent}`,
      pass: hasValue(n) ? ratio >= 1.0 : null,
    });
    res.notes.push('hoard time includes GET /f/<id> at the tracker and the 302 to the node; the client is undici in the bench process, discarding bytes as they arrive.');
  },
};
