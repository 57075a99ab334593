// 1. One-stream upload of a new large file: hoard end to end (tracker, node,
// hashing, chunk files, fsync, commit) against MD5 of the same bytes in
// memory, a plain Node hashed pipeline to disk, and nginx's dav PUT.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { md5InMemory } from '../baselines/md5-memory.js';
import { NODE_SERVER_LABEL } from '../baselines/node-servers.js';
import { syncDisks } from '../lib/context.js';
import { freshen } from '../lib/files.js';
import { human, withUnit } from '../lib/format.js';
import { hoardUpload } from '../lib/hoard.js';
import { BenchClient, put } from '../lib/http-client.js';
import { fig, hasValue, na, rows, type Figure } from '../lib/result.js';
import type { Scenario } from './scenario.js';

export const upload: Scenario = {
  id: 'upload',
  title: 'Upload, one stream, new file',
  async run(ctx, res) {
    const { size, repeats } = ctx.opts;
    const file = await ctx.bigFile();
    const cluster = await ctx.cluster();
    const nodeSrv = await ctx.nodeServer('hash-fsync');
    const nginx = await ctx.nginx();
    const hoard: number[] = [];
    const md5: number[] = [];
    const plain: number[] = [];
    const ngx: number[] = [];
    for (let r = 0; r < repeats; r++) {
      freshen(file);
      md5.push(md5InMemory(file, size).bytesPerSec);
      syncDisks();
      const c1 = new BenchClient(2);
      const up = await hoardUpload(c1, cluster.trackerUrl, `upload-${r}.bin`, { file, size }).finally(() => c1.close());
      if (up.result.dedup) throw new Error('a new upload came back as a duplicate (dedup: true)');
      if (up.result.size !== size) throw new Error(`hoard stored ${up.result.size} bytes of ${size}`);
      hoard.push(size / (up.ms / 1000));
      syncDisks();

      const c2 = new BenchClient(1);
      const p = await put(c2, `${nodeSrv.url}/upload-${r}.bin`, { file, size }).finally(() => c2.close());
      if (p.status !== 201) throw new Error(`plain Node server answered ${p.status}`);
      plain.push(size / (p.ms / 1000));
      rmSync(join(nodeSrv.root, `upload-${r}.bin`), { force: true });
      syncDisks();

      if (!('absent' in nginx)) {
        const c3 = new BenchClient(1);
        const n = await put(c3, `${nginx.url}/dav/upload-${r}.bin`, { file, size }).finally(() => c3.close());
        if (n.status !== 201 && n.status !== 204) throw new Error(`nginx PUT answered ${n.status}: ${n.text.slice(0, 200)}`);
        ngx.push(size / (n.ms / 1000));
        rmSync(join(nginx.davDir, `upload-${r}.bin`), { force: true });
        syncDisks();
      }
      ctx.log(`upload ${r + 1}/${repeats}: hoard ${withUnit(hoard.at(-1)!, 'B/s')}, md5 ${withUnit(md5.at(-1)!, 'B/s')}`);
    }
    const h = fig(hoard);
    const md5Fig = fig(md5);
    const nginxFig: Figure = 'absent' in nginx ? na(nginx.absent) : fig(ngx);
    res.rows.push(
      ...rows(`upload ${human(size)}, 1 stream`, 'B/s', h, [
        { name: 'MD5 of the same bytes in memory', figure: md5Fig },
        { name: NODE_SERVER_LABEL['hash-fsync'], figure: fig(plain) },
        { name: 'nginx PUT (dav, no hashing, no fsync)', figure: nginxFig },
      ]),
    );
    const ratio = hasValue(h) && hasValue(md5Fig) ? h.summary.median / md5Fig.summary.median : NaN;
    res.targets.push({ text: 'upload ≥ 0.8 × in-memory MD5 speed', measured: `${ratio.toFixed(2)}×`, pass: ratio >= 0.8 });
    res.notes.push('hoard computes MD5 and SHA-256 of the whole body plus SHA-256 per chunk, and fsyncs each chunk, the manifest and folders before answering; the time includes the POST /api/uploads round trip and the commit to the tracker.');
    res.notes.push('Page cache is flushed (`sync`) between measurements; the source file is read from the page cache.');
  },
};
