// Table tests for the pure parts of early stop: checkpoints, challenges,
// proofs, the Hoard-Challenge header and tus metadata.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { checkpointsFor, FIRST_CHECKPOINT, isValidPrefixList, nextCheckpointAfter } from '../../../common/protocol/prefix.js';
import { computeProof, makeChallenge, proofsEqual } from '../../../common/proof.js';
import { formatChallenge, isProofValue, parseChallenge, PROOF_RANGE_BYTES, PROOF_STRATA } from '../../../common/protocol/proof.js';
import { formatMetadata, parseMetadata } from '../../../common/protocol/tus.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

t.test('checkpoints: 1, 4, 16, 64, 256 MiB, then every GiB, strictly below the size', async (t) => {
  t.equal(FIRST_CHECKPOINT, MiB);
  t.same(checkpointsFor(MiB), [], 'a file of exactly 1 MiB has no prefix checkpoint');
  t.same(checkpointsFor(MiB + 1), [MiB]);
  t.same(checkpointsFor(100 * MiB), [MiB, 4 * MiB, 16 * MiB, 64 * MiB]);
  t.same(checkpointsFor(3 * GiB + 1), [MiB, 4 * MiB, 16 * MiB, 64 * MiB, 256 * MiB, GiB, 2 * GiB, 3 * GiB]);
  t.equal(checkpointsFor(1024 * GiB).length, 5 + 1023, 'a TiB blob has about a thousand');
  t.equal(nextCheckpointAfter(0), MiB);
  t.equal(nextCheckpointAfter(MiB), 4 * MiB);
  t.equal(nextCheckpointAfter(256 * MiB), GiB);
  t.equal(nextCheckpointAfter(GiB + 5), 2 * GiB);
});

t.test('prefix lists are checked against the size', async (t) => {
  const h = { md5: 'a'.repeat(32), sha256: 'b'.repeat(64) };
  t.ok(isValidPrefixList([{ offset: MiB, ...h }, { offset: 4 * MiB, ...h }], 5 * MiB));
  t.notOk(isValidPrefixList([{ offset: MiB, ...h }], 5 * MiB), 'a missing checkpoint');
  t.notOk(isValidPrefixList([{ offset: 2 * MiB, ...h }], 3 * MiB), 'a wrong offset');
  t.notOk(isValidPrefixList([{ offset: MiB, md5: 'x', sha256: h.sha256 }], 2 * MiB), 'a malformed digest');
  t.ok(isValidPrefixList([], 100), 'a small blob has none');
});

t.test('a challenge samples every sixteenth of the file and its tail; its shape depends on the size only', async (t) => {
  for (const size of [MiB + 1, 7 * MiB + 3, 5 * GiB]) {
    const c = makeChallenge(size);
    t.equal(c.ranges.length, PROOF_STRATA + 1, `${size}: one range per stratum plus the tail`);
    t.same(c.ranges[c.ranges.length - 1], [size - PROOF_RANGE_BYTES, size - 1], 'the tail is always in');
    for (let i = 0; i < PROOF_STRATA; i++) {
      const [a, b] = c.ranges[i]!;
      t.ok(a >= Math.floor((i * size) / PROOF_STRATA) && b < Math.floor(((i + 1) * size) / PROOF_STRATA), `range ${i} lies in its stratum`);
      t.equal(b - a + 1, PROOF_RANGE_BYTES);
    }
    t.equal(Buffer.from(c.nonce, 'base64url').length, 32, 'a 256-bit nonce');
    t.same(parseChallenge(formatChallenge(c), size), c, 'the header round-trips');
  }
  const a = makeChallenge(64 * MiB);
  const b = makeChallenge(64 * MiB);
  t.not(a.nonce, b.nonce, 'fresh nonces');
  t.notSame(a.ranges, b.ranges, 'fresh ranges');
  const tiny = makeChallenge(10);
  t.ok(tiny.ranges.every(([x, y]) => x >= 0 && y < 10), 'a tiny file still gets ranges inside it');
});

t.test('parseChallenge refuses malformed or out-of-file headers', async (t) => {
  const c = makeChallenge(8 * MiB);
  t.equal(parseChallenge(formatChallenge(c), 4 * MiB), undefined, 'ranges past the end');
  t.equal(parseChallenge('v=2; nonce=x; ranges=0-1', 10), undefined);
  t.equal(parseChallenge(undefined, 10), undefined);
  t.equal(parseChallenge(`v=1; nonce=${c.nonce}; ranges=5-1`, 10), undefined, 'inverted range');
});

t.test('proofs: keyed by the nonce, bound to the upload, over the ranges', async (t) => {
  const data = randomBytes(3 * MiB);
  const read = (buf: Buffer) => async function* (s: number, e: number) {
    yield buf.subarray(s, e + 1);
  };
  const c = makeChallenge(data.length);
  const p = await computeProof(c, 'upload-1', data.length, read(data));
  t.ok(isProofValue(p), 'a base64url HMAC-SHA-256');
  t.equal(await computeProof(c, 'upload-1', data.length, read(Buffer.from(data))), p, 'same bytes, same answer');
  t.not(await computeProof(c, 'upload-2', data.length, read(data)), p, 'another upload, another answer');
  t.not(await computeProof(makeChallenge(data.length), 'upload-1', data.length, read(data)), p, 'another challenge, another answer');
  const flipped = Buffer.from(data);
  const [tailStart] = c.ranges[c.ranges.length - 1]!;
  flipped[tailStart] = flipped[tailStart]! ^ 1;
  t.not(await computeProof(c, 'upload-1', data.length, read(flipped)), p, 'one flipped byte in a sampled range changes it');
  t.ok(proofsEqual(p, p));
  t.notOk(proofsEqual(p, p.slice(1)));
  t.rejects(computeProof(c, 'u', data.length, read(data.subarray(0, MiB))), 'a short read is an error, not a wrong answer');
});

t.test('Upload-Metadata', async (t) => {
  const m = parseMetadata(formatMetadata({ filename: 'résumé.pdf', md5: 'abc' }));
  t.equal(m?.get('filename'), 'résumé.pdf');
  t.equal(m?.get('md5'), 'abc');
  t.equal(parseMetadata('is_confidential')?.get('is_confidential'), '', 'a key alone');
  t.equal(parseMetadata('a Zm9v,a YmFy'), undefined, 'a repeated key');
  t.equal(parseMetadata('a b c'), undefined);
  t.equal(parseMetadata(undefined)?.size, 0);
  t.equal(createHash('md5').update('').digest('hex').length, 32);
});
