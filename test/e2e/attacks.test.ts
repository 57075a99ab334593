// The attacks on client-side dedup, each against a real cluster holding the
// target file. None of them may end with a link to the target: a hash-only
// claim, the correct prefix followed by garbage, a replayed proof, and
// probing for existence (the answers before a proof passes must not differ
// between stored and unknown content).
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { computeProof } from '../../common/proof.js';
import { type Challenge } from '../../common/protocol/proof.js';
import type { LinkInfo } from '../../common/protocol/types.js';
import { TUS_H } from '../../common/protocol/tus.js';
import { putFile } from '../../client/tus-upload.js';
import { useCluster } from '../helpers/cluster.js';
import { makeRandomFile, tempDir } from '../helpers/files.js';
import { http } from '../helpers/http.js';
import { bogusProof, md5Of, sha256Of, tusCreate, tusHead, tusPatch, type Created } from '../helpers/tus.js';

const MiB = 1 << 20;
const SIZE = 6 * MiB + 333;
const KNOWN_PREFIX = 4 * MiB;

const work = await tempDir();
t.teardown(work.cleanup);
const c = await useCluster(t, { nodes: [{ zone: 'a' }, { zone: 'b' }], chunkSize: MiB });
const target = await makeRandomFile(join(work.dir, 'target.bin'), SIZE);
const bytes = await readFile(target.path);
const stored = await putFile(c.trackerUrl, target.path, { stateDir: '' });
const declared = { size: SIZE, md5: target.md5, sha256: target.sha256, filename: 'mine.bin' };

/** The proof an attacker can make: real bytes where they know them, zeros elsewhere. */
function partialProof(ch: Challenge, uploadId: string, known: Buffer): Promise<string> {
  return computeProof(ch, uploadId, SIZE, async function* (start, end) {
    const out = Buffer.alloc(end - start + 1);
    if (start < known.length) known.copy(out, 0, start, Math.min(end + 1, known.length));
    yield out;
  });
}

const fullProof = (ch: Challenge, uploadId: string) => partialProof(ch, uploadId, bytes);

async function linksToTarget(): Promise<number> {
  return (await c.links()).filter((l: LinkInfo) => l.sha256 === target.sha256).length;
}

async function noLinkFor(t: Test, up: Created): Promise<void> {
  const head = await tusHead(up.url);
  t.notOk(head.headers[TUS_H.link], 'HEAD shows no link');
  const st = await http(`${c.trackerUrl}/api/uploads/${up.uploadId}`);
  t.equal(st.status, 404, 'the tracker has no link for the upload');
}

t.test('setup: the target is stored, with its prefix digests', async (t) => {
  t.match(stored, { sha256: target.sha256, dedup: false });
  t.equal(await linksToTarget(), 1);
});

t.test('hash-only claim: MD5, SHA-256 and size declared, no bytes, a made-up proof', async (t) => {
  const before = await linksToTarget();
  const up = await tusCreate(c.trackerUrl, declared);
  t.equal(up.status, 201);
  t.ok(up.challenge, 'a challenge is issued (as for any declared upload)');
  const p = await tusPatch(up.url, 0, Buffer.alloc(MiB), { [TUS_H.proof]: bogusProof() });
  t.equal(p.status, 204);
  t.equal(p.headers[TUS_H.offset], String(MiB), 'the upload just goes on: Upload-Offset is what was sent');
  t.notOk(p.headers[TUS_H.link], 'no link');
  await noLinkFor(t, up);
  t.equal(await linksToTarget(), before, 'no new link to the target');
});

t.test('correct prefix + garbage: matching checkpoints but no possession', async (t) => {
  const before = await linksToTarget();
  const up = await tusCreate(c.trackerUrl, declared);
  const known = bytes.subarray(0, KNOWN_PREFIX);
  const proof = await partialProof(up.challenge!, up.uploadId, known);
  // The prefix matches the target at 1 MiB and 4 MiB; the ranges past 4 MiB (the tail at least) give the proof away.
  const p1 = await tusPatch(up.url, 0, known, { [TUS_H.proof]: proof });
  t.equal(p1.status, 204);
  t.equal(p1.headers[TUS_H.offset], String(KNOWN_PREFIX), 'no early stop: offset is the bytes sent');
  t.notOk(p1.headers[TUS_H.link]);
  const garbage = randomBytes(SIZE - KNOWN_PREFIX);
  const p2 = await tusPatch(up.url, KNOWN_PREFIX, garbage);
  t.equal(p2.status, 204);
  t.equal(p2.headers[TUS_H.offset], String(SIZE));
  t.equal(await linksToTarget(), before, 'no new link to the target');
  // The upload is stored as what it really is: its own content.
  const linkId = p2.headers[TUS_H.linkId];
  const info = JSON.parse((await http(`${c.trackerUrl}/api/links/${linkId}`)).text) as LinkInfo;
  t.equal(info.sha256, sha256Of(Buffer.concat([known, garbage])), 'the link is to the uploaded bytes');
  t.not(info.sha256, target.sha256);
  t.equal(p2.headers[TUS_H.dedup], '0');
});

t.test('replayed proof: an answer given for one upload is worth nothing for another', async (t) => {
  // An honest duplicate upload: its proof passes and it stops early.
  const honest = await tusCreate(c.trackerUrl, declared);
  const proof = await fullProof(honest.challenge!, honest.uploadId);
  const ok = await tusPatch(honest.url, 0, bytes.subarray(0, MiB), { [TUS_H.proof]: proof });
  t.equal(ok.headers[TUS_H.offset], String(SIZE), 'the honest duplicate stops early');
  t.ok(ok.headers[TUS_H.link], 'and gets its link');
  const before = await linksToTarget();

  // The captured answer, replayed on a new upload with the correct first MiB.
  const replay = await tusCreate(c.trackerUrl, declared);
  const r1 = await tusPatch(replay.url, 0, bytes.subarray(0, MiB), { [TUS_H.proof]: proof });
  t.equal(r1.headers[TUS_H.offset], String(MiB), 'replayed proof: no early stop');
  t.notOk(r1.headers[TUS_H.link]);
  await noLinkFor(t, replay);

  // The same answer replayed on the upload it was made for, now finished: nothing new either.
  const again = await tusPatch(honest.url, 0, bytes.subarray(0, MiB), { [TUS_H.proof]: proof });
  t.equal(again.status, 409, 'the finished upload takes no more bytes');

  // Single use: after a wrong answer, even the right one is not accepted on that upload.
  const once = await tusCreate(c.trackerUrl, declared);
  const w = await tusPatch(once.url, 0, bytes.subarray(0, MiB), { [TUS_H.proof]: bogusProof() });
  t.equal(w.headers[TUS_H.offset], String(MiB));
  const right = await fullProof(once.challenge!, once.uploadId);
  const w2 = await tusPatch(once.url, MiB, bytes.subarray(MiB, 2 * MiB), { [TUS_H.proof]: right });
  t.equal(w2.headers[TUS_H.offset], String(2 * MiB), 'a second answer is ignored');
  t.notOk(w2.headers[TUS_H.link]);
  t.equal(await linksToTarget(), before, 'no link from any replay');
});

t.test('probing for existence: stored and unknown content get the same answers until a proof passes', async (t) => {
  const unknown = randomBytes(SIZE);
  const other = { size: SIZE, md5: md5Of(unknown), sha256: sha256Of(unknown), filename: 'mine.bin' };
  const shape = (h: Record<string, string>) =>
    Object.keys(h)
      .filter((k) => !['date', 'location', 'content-length', 'upload-expires'].includes(k))
      .sort();
  const challengeShape = (ch: Challenge | undefined) => ch && { nonce: ch.nonce.length, ranges: ch.ranges.map(([a, b]) => b - a) };
  const timings: Record<string, number[]> = { stored: [], unknown: [] };
  for (let round = 0; round < 8; round++) {
    const made: Record<string, Created> = {};
    // Alternate which goes first, so neither pays for the other's aftermath every time.
    const order = round % 2 === 0 ? (['stored', 'unknown'] as const) : (['unknown', 'stored'] as const);
    for (const kind of order) {
      const t0 = performance.now();
      made[kind] = await tusCreate(c.trackerUrl, kind === 'stored' ? declared : other);
      timings[kind]!.push(performance.now() - t0);
    }
    const a = made.stored!;
    const b = made.unknown!;
    t.equal(a.status, b.status, 'creation: same status');
    t.same(shape(a.headers), shape(b.headers), 'creation: same headers');
    t.same(Object.keys(JSON.parse(a.text) as object).sort(), Object.keys(JSON.parse(b.text) as object).sort(), 'creation: same body fields');
    t.same(challengeShape(a.challenge), challengeShape(b.challenge), 'creation: same challenge shape');
    t.equal(a.headers[TUS_H.challenge]!.length > 0, b.headers[TUS_H.challenge]!.length > 0);

    const ha = await tusHead(a.url);
    const hb = await tusHead(b.url);
    t.equal(ha.status, hb.status, 'HEAD: same status');
    t.same(shape(ha.headers), shape(hb.headers), 'HEAD: same headers');
    t.equal(ha.headers[TUS_H.offset], hb.headers[TUS_H.offset]);

    // The first MiB of each (so both pass a checkpoint), with a wrong answer.
    const pa = await tusPatch(a.url, 0, bytes.subarray(0, MiB), { [TUS_H.proof]: bogusProof() });
    const pb = await tusPatch(b.url, 0, unknown.subarray(0, MiB), { [TUS_H.proof]: bogusProof() });
    t.equal(pa.status, pb.status, 'PATCH: same status');
    t.same(shape(pa.headers), shape(pb.headers), 'PATCH: same headers');
    t.equal(pa.headers[TUS_H.offset], pb.headers[TUS_H.offset], 'PATCH: same offset');
    t.equal(pa.text, pb.text, 'PATCH: same body');
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  t.comment(`creation time, stored vs unknown content: ${median(timings.stored!).toFixed(2)} ms vs ${median(timings.unknown!).toFixed(2)} ms (median of ${timings.stored!.length})`);
});

t.test('undeclared uploads and small files get no challenge at all', async (t) => {
  const plain = await tusCreate(c.trackerUrl, { size: SIZE });
  t.equal(plain.status, 201);
  t.notOk(plain.headers[TUS_H.challenge], 'no declared hashes: no challenge');
  const small = await tusCreate(c.trackerUrl, { size: MiB, md5: md5Of(Buffer.alloc(MiB)), sha256: sha256Of(Buffer.alloc(MiB)) });
  t.notOk(small.headers[TUS_H.challenge], 'up to the first checkpoint: never stopped early, no challenge');
});
