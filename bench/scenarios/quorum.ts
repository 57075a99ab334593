// 9. The write quorum's price: one-stream uploads of a new file to a
// two-zone cluster acknowledging after two copies (the first node streams
// the bytes to a node in the other zone as they arrive) against the same
// cluster shape acknowledging after one, alternating, in the same run.
import { freshen } from '../lib/files.js';
import { human, withUnit } from '../lib/format.js';
import { syncDisks } from '../lib/context.js';
import { hoardUpload, startTwoZones } from '../lib/hoard.js';
import { BenchClient } from '../lib/http-client.js';
import { fig, hasValue, rows } from '../lib/result.js';
import type { Scenario } from './scenario.js';

/** Each upload is stored once per copy on the one disk: the file is capped so a run does not fill it. */
const MAX_SIZE = 256 * 1024 * 1024;

export const quorum: Scenario = {
  id: 'quorum',
  title: 'Upload under a write quorum of 2 against 1',
  async run(ctx, res) {
    const size = Math.min(ctx.opts.size, MAX_SIZE);
    const file = await ctx.bigFile();
    const one = await startTwoZones(ctx.procs, ctx.root, ctx.dir('quorum-1'), 1);
    const two = await startTwoZones(ctx.procs, ctx.root, ctx.dir('quorum-2'), 2);
    const q1: number[] = [];
    const q2: number[] = [];
    try {
      for (let r = 0; r < ctx.opts.repeats; r++) {
        for (const [cluster, out] of [[one, q1], [two, q2]] as const) {
          freshen(file);
          syncDisks();
          const c = new BenchClient(2);
          const up = await hoardUpload(c, cluster.trackerUrl, `quorum-${r}.bin`, { file, size }).finally(() => c.close());
          if (up.result.dedup) throw new Error('a new upload came back as a duplicate (dedup: true)');
          out.push(size / (up.ms / 1000));
        }
        ctx.log(`quorum ${r + 1}/${ctx.opts.repeats}: ackCopies 2 ${withUnit(q2.at(-1)!, 'B/s')}, ackCopies 1 ${withUnit(q1.at(-1)!, 'B/s')}`);
      }
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
    const f2 = fig(q2);
    const f1 = fig(q1);
    res.rows.push(...rows(`upload ${human(size)}, 1 stream, ackCopies 2`, 'B/s', f2, [{ name: 'the same, ackCopies 1', figure: f1 }]));
    const ratio = hasValue(f2) && hasValue(f1) ? f2.summary.median / f1.summary.median : NaN;
    res.targets.push({ text: 'upload with ackCopies 2 ≥ 0.8 × ackCopies 1', measured: `${ratio.toFixed(2)}×`, pass: ratio >= 0.8 });
    res.notes.push('Two nodes in zones a and b on one machine and one disk: under the quorum every byte is written twice to that disk and crosses the loopback once more, which two servers would not share.');
  },
};
