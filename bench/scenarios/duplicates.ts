// 5. Uploading content hoard already holds. Undeclared: the client just
// uploads; hoard stores nothing new but the whole body still crosses the
// wire. Declared: `hoard put`'s own code (client/tus-upload.ts) hashes the
// file, declares it, answers the proof-of-possession challenge and stops at
// the first checkpoint; its bytes on the wire and time after hashing count.
import { putFile } from '../../client/tus-upload.js';
import { hashFile } from '../../common/hash.js';
import { syncDisks } from '../lib/context.js';
import { freshen } from '../lib/files.js';
import { human, withUnit } from '../lib/format.js';
import { hoardUpload, type Uploaded } from '../lib/hoard.js';
import { BenchClient } from '../lib/http-client.js';
import { msSince, median } from '../lib/stats.js';
import { fig, row } from '../lib/result.js';
import type { Scenario } from './scenario.js';

async function measured(trackerUrl: string, name: string, file: string, size: number): Promise<{ up: Uploaded; sent: number }> {
  const client = new BenchClient(2);
  try {
    const up = await hoardUpload(client, trackerUrl, name, { file, size });
    return { up, sent: client.wire().sent };
  } finally {
    await client.close();
  }
}

export const duplicates: Scenario = {
  id: 'dedup',
  title: 'Duplicate upload',
  async run(ctx, res) {
    const { size, repeats } = ctx.opts;
    const file = await ctx.bigFile();
    const cluster = await ctx.cluster();
    const fresh = { ms: [] as number[], sent: [] as number[] };
    const dup = { ms: [] as number[], sent: [] as number[] };
    const hashing: number[] = [];
    const declared = { ms: [] as number[], sent: [] as number[] };
    for (let r = 0; r < repeats; r++) {
      freshen(file);
      syncDisks();
      const a = await measured(cluster.trackerUrl, `new-${r}.bin`, file, size);
      if (a.up.result.dedup) throw new Error('a new upload came back as a duplicate');
      syncDisks();
      const b = await measured(cluster.trackerUrl, `dup-${r}.bin`, file, size);
      if (!b.up.result.dedup) throw new Error(`uploading the same bytes again did not deduplicate (dedup: false, id ${b.up.result.id} vs ${a.up.result.id})`);
      if (b.up.result.link === a.up.result.link) throw new Error('the duplicate upload returned the same link as the first');
      fresh.ms.push(a.up.ms);
      fresh.sent.push(a.sent);
      dup.ms.push(b.up.ms);
      dup.sent.push(b.sent);
      const t = process.hrtime.bigint();
      await hashFile(file);
      hashing.push(msSince(t));
      const d = await putFile(cluster.trackerUrl, file, { stateDir: '', retries: 0 });
      if (!d.earlyStop || !d.dedup) throw new Error(`a declared duplicate did not stop early (earlyStop ${d.earlyStop}, dedup ${d.dedup})`);
      declared.ms.push(d.uploadMs);
      declared.sent.push(d.sentBytes);
      ctx.log(
        `dedup ${r + 1}/${repeats}: new ${withUnit(a.up.ms, 'ms')}, duplicate ${withUnit(b.up.ms, 'ms')} with ${withUnit(b.sent, 'MiB')} sent, ` +
          `declared ${withUnit(d.uploadMs, 'ms')} after hashing (open ${d.phases.open.toFixed(1)}, proof ${d.phases.proof.toFixed(1)}, send ${d.phases.send.toFixed(1)} ms) with ${withUnit(d.sentBytes, 'MiB')} sent`,
      );
    }
    const newBytes = { name: 'new upload of the same size', figure: fig(fresh.sent) };
    const newTime = { name: 'new upload of the same size', figure: fig(fresh.ms) };
    const label = human(size);
    res.rows.push(
      row(`duplicate ${label}, undeclared: bytes on the wire`, 'MiB', fig(dup.sent), newBytes),
      row(`duplicate ${label}, undeclared: upload time`, 'ms', fig(dup.ms), newTime),
      row(`duplicate ${label}, declared (hoard put): bytes on the wire`, 'MiB', fig(declared.sent), newBytes),
      row(`duplicate ${label}, declared (hoard put): time after local hashing`, 'ms', fig(declared.ms), newTime),
      row(`local MD5+SHA-256 of ${label} (client side)`, 'ms', fig(hashing)),
    );
    const pct = (median(declared.sent) / size) * 100;
    const ms = median(declared.ms);
    res.targets.push(
      { text: `duplicate ${label} upload < 1 % of its bytes on the wire`, measured: `declared: ${pct.toFixed(3)} %; undeclared: ${((median(dup.sent) / size) * 100).toFixed(1)} %`, pass: pct < 1 },
      { text: `duplicate ${label} upload < 100 ms after local hashing`, measured: `declared: ${withUnit(ms, 'ms')}; undeclared: ${withUnit(median(dup.ms), 'ms')} in all`, pass: ms < 100 },
    );
    res.notes.push(
      'Bytes on the wire: everything the client\'s sockets wrote, headers included. An undeclared duplicate (POST /api/uploads, then the PUT) sends the whole body; the node stores nothing new and answers dedup: true. A declared one (tus creation with MD5 and SHA-256, the challenge answered, the first checkpoint sent) ends early once the proof passed.',
    );
  },
};
