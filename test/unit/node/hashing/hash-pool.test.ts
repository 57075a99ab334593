// The upload hash pool: the same digests (whole body, chunks, prefixes)
// inline and on the threads, bounded slots under many uploads, aborts that
// give their slots back, and threads let go when idle.
import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import type { PrefixHash } from '../../../../common/protocol/prefix.js';
import { HashPool, type BodyDigest } from '../../../../node/hashing/hash-pool.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const hex = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');

/** What the digests of `data` must be, with chunks of `cs` and prefixes at `cps`. */
function expected(data: Buffer, cs: number, cps: number[]): { d: BodyDigest; prefixes: PrefixHash[] } {
  const chunks: string[] = [];
  for (let off = 0; off < data.length; off += cs) chunks.push(hex('sha256', data.subarray(off, off + cs)));
  const prefixes = cps.map((c) => ({ offset: c, md5: hex('md5', data.subarray(0, c)), sha256: hex('sha256', data.subarray(0, c)) }));
  return { d: { md5: hex('md5', data), sha256: hex('sha256', data), size: data.length, chunks }, prefixes };
}

/** Feeds `data` in `piece`-sized copies, ending chunks of `cs` and asking for prefixes at `cps`, honouring room(). */
async function run(pool: HashPool, data: Buffer, cs: number, cps: number[], piece: number): Promise<{ d: BodyDigest; prefixes: PrefixHash[] }> {
  const prefixes: PrefixHash[] = [];
  const h = pool.begin((p) => prefixes.push(p));
  let pos = 0;
  while (pos < data.length) {
    const nextCp = cps.find((c) => c > pos) ?? Infinity;
    const nextEnd = (Math.floor(pos / cs) + 1) * cs;
    const n = Math.min(piece, data.length - pos, nextCp - pos, nextEnd - pos);
    const full = h.update(Buffer.from(data.subarray(pos, pos + n)));
    pos += n;
    if (pos % cs === 0) h.endChunk();
    if (pos === nextCp) {
      const p = h.checkpoint();
      if (p) prefixes.push(p);
      else await h.prefixes();
    }
    if (full) await h.room();
  }
  if (pos % cs !== 0) h.endChunk();
  return { d: await h.digest(), prefixes };
}

t.test('inline and threaded hashing give the same digests', async (t) => {
  const pool = new HashPool({ slotSize: 64 * KiB, slots: 4, perUpload: 2, inlineBelow: 100 * KiB });
  t.teardown(() => pool.close());
  const cases: Array<[number, number, number[], number]> = [
    [0, 64 * KiB, [], 1000],
    [4 * KiB, 64 * KiB, [], 4 * KiB],
    [100 * KiB, 30 * KiB, [50 * KiB], 7 * KiB],
    [100 * KiB + 1, 30 * KiB, [50 * KiB], 7 * KiB],
    [1 * MiB + 17, 64 * KiB, [128 * KiB, 256 * KiB, 1 * MiB], 64 * KiB],
    [3 * MiB, 100_000, [64 * KiB, 1 * MiB, 2 * MiB], 33_333],
  ];
  for (const [size, cs, cps, piece] of cases) {
    const data = randomBytes(size);
    const got = await run(pool, data, cs, cps, piece);
    t.same(got, expected(data, cs, cps), `${size} bytes, chunks of ${cs}, pieces of ${piece}`);
  }
  t.equal(pool.freeSlots, pool.slotCount, 'every slot back in the pool');
});

t.test('without threads the digests are the same', async (t) => {
  const pool = new HashPool({ threads: false });
  const data = randomBytes(3 * MiB + 5);
  t.same(await run(pool, data, MiB, [MiB, 2 * MiB], 50_000), expected(data, MiB, [MiB, 2 * MiB]));
  t.equal(pool.running, false, 'no thread started');
});

t.test('a small body never starts the threads', async (t) => {
  const pool = new HashPool();
  t.teardown(() => pool.close());
  const data = randomBytes(MiB);
  t.same(await run(pool, data, 8 * MiB, [MiB], 64 * KiB), expected(data, 8 * MiB, [MiB]), 'the 1 MiB checkpoint is taken inline');
  t.equal(pool.running, false);
});

t.test('many uploads share a fixed number of slots', async (t) => {
  const pool = new HashPool({ slotSize: 64 * KiB, slots: 3, perUpload: 2, inlineBelow: 0 });
  t.teardown(() => pool.close());
  const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(512 * KiB + i * 999));
  const got = await Promise.all(bodies.map((b) => run(pool, b, 200 * KiB, [256 * KiB], 20_000)));
  got.forEach((g, i) => t.same(g, expected(bodies[i]!, 200 * KiB, [256 * KiB]), `upload ${i}`));
  t.equal(pool.freeSlots, 3);
});

t.test('an abort gives its slots back and fails its waits', async (t) => {
  const pool = new HashPool({ slotSize: 64 * KiB, slots: 2, perUpload: 2, inlineBelow: 0 });
  t.teardown(() => pool.close());
  const h = pool.begin(() => undefined);
  let full = false;
  for (let i = 0; i < 10 && !full; i++) full = h.update(randomBytes(64 * KiB));
  t.ok(full, 'out of slots');
  const room = h.room();
  h.abort();
  await t.rejects(room, /aborted/);
  await t.rejects(h.digest(), /aborted/);
  const data = randomBytes(300 * KiB);
  t.same(await run(pool, data, 64 * KiB, [], 10_000), expected(data, 64 * KiB, []), 'the next upload gets the slots');
  t.equal(pool.freeSlots, 2);
});

t.test('idle threads are let go and come back for the next upload', async (t) => {
  const pool = new HashPool({ slotSize: 64 * KiB, inlineBelow: 0, idleMs: 50 });
  t.teardown(() => pool.close());
  const data = randomBytes(200 * KiB);
  await run(pool, data, 64 * KiB, [], 64 * KiB);
  t.equal(pool.running, true);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(pool.running, false, 'threads gone after idleMs');
  t.same(await run(pool, data, 64 * KiB, [], 64 * KiB), expected(data, 64 * KiB, []), 'started again');
});
