// `hoard put` over tus: hash the file, create the upload at the tracker with
// the declared size, MD5 and SHA-256, answer the server's challenge from the
// local file, then PATCH. The first PATCH carries the answer and stops at the
// first prefix checkpoint: when the server already holds the file it ends the
// upload there (Upload-Offset jumps to Upload-Length) and only that piece was
// sent. Interrupted PATCHes resume from the node's Upload-Offset, also in a
// later run (client/upload-state.ts).
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import { CliError, describeError, formatBytes, reaching } from '../common/cli.js';
import { remoteError } from '../common/client.js';
import { RemoteError } from '../common/protocol/errors.js';
import { hashFile } from '../common/hash.js';
import { nextCheckpointAfter } from '../common/protocol/prefix.js';
import { parseChallenge, type Challenge } from '../common/protocol/proof.js';
import { proofFromFile } from '../common/proof.js';
import { TRACKER } from '../common/protocol/routes.js';
import { type LinkInfo, type UploadResult } from '../common/protocol/types.js';
import { formatMetadata, TUS_H, TUS_VERSION } from '../common/protocol/tus.js';
import { authFor } from './credentials.js';
import { TUS_TRACKER } from '../common/protocol/routes.js';
import { UPLOAD_ID_RE } from '../common/protocol/ids.js';
import { countingAgent } from './byte-counter.js';
import { defaultStateDir, UploadStateFile } from './upload-state.js';

export const DEFAULT_RETRIES = 5;
const BACKOFF_MS = [250, 500, 1000, 2000];

export interface PutOptions {
  /** The name the link gets (default: the file's own name). */
  name?: string;
  /** Where unfinished uploads are remembered ('' = nowhere). */
  stateDir?: string;
  /** Attempts in a row without progress before giving up (0 = stop at the first break). */
  retries?: number;
  onHashStart?: (size: number) => void;
  onHashProgress?: (done: number) => void;
  /** Before the first byte is sent; `offset` > 0 when resuming. */
  onStart?: (size: number, offset: number) => void;
  onProgress?: (offset: number) => void;
  onRetry?: (line: string) => void;
}

export interface PutResult extends UploadResult {
  /** Bytes this upload wrote to the network (request lines, headers, bodies; the probe sent while hashing included). */
  sentBytes: number;
  /** Milliseconds from the end of local hashing to the link. */
  uploadMs: number;
  hashMs: number;
  /** The server held the content: the upload proved possession and ended early. */
  earlyStop: boolean;
  /** Where this run started sending (0 unless it resumed an earlier run's upload). */
  resumedAt: number;
  /** The tus upload id (the tracker answers GET /api/uploads/<uploadId> with the link). */
  uploadId: string;
  /** Milliseconds spent finding or creating the upload, answering the challenge, and sending. */
  phases: { open: number; proof: number; send: number };
}

interface Upload {
  url: string;
  uploadId: string;
}

interface Position {
  offset: number;
  challenge?: Challenge;
  done?: { link: string; id: string; dedup: boolean };
}

export async function putFile(tracker: string, file: string, opts: PutOptions = {}): Promise<PutResult> {
  const st = await stat(file);
  if (!st.isFile()) throw new CliError('NOT_A_FILE', `${file} is not a regular file`);
  const net = countingAgent();
  // While the file is hashed: reach the tracker once (OPTIONS), so the HTTP parser is compiled and a
  // connection is open by the time the upload starts, and a tracker that cannot be reached stops
  // the hash at once, with the same error any other call to it gives.
  const hashing = new AbortController();
  let unreachable: unknown;
  const probe = reaching(`the tracker at ${tracker}`, () => request(tracker + TUS_TRACKER.create, { method: 'OPTIONS', dispatcher: net.agent, headersTimeout: 30_000 })).then(
    (r) => r.body.dump(),
    (err: unknown) => {
      if (err instanceof CliError && err.code === 'TRACKER_UNREACHABLE') {
        unreachable = err;
        hashing.abort();
      }
    },
  );
  const hashStarted = performance.now();
  opts.onHashStart?.(st.size);
  let ident: { md5: string; sha256: string; size: number };
  try {
    ident = await hashFile(file, opts.onHashProgress, hashing.signal);
  } catch (err) {
    await probe;
    await net.close();
    throw unreachable ?? err;
  }
  const hashMs = performance.now() - hashStarted;
  await probe;
  if (unreachable) {
    await net.close();
    throw unreachable;
  }
  if (ident.size !== st.size) {
    await net.close();
    throw new CliError('UPLOAD_FAILED', `${file} changed while it was hashed`);
  }
  const size = ident.size;

  const started = performance.now();
  const stateDir = opts.stateDir ?? defaultStateDir();
  const saved = stateDir ? new UploadStateFile(stateDir, tracker, await realpath(file), size, ident.sha256) : undefined;
  try {
    let up: Upload | undefined;
    let pos: Position | undefined;
    const prev = await saved?.load();
    if (prev && UPLOAD_ID_RE.test(prev.uploadId)) {
      // An earlier run's upload: carry on where the node says it stands, or start over if it is gone.
      try {
        pos = await head(prev.url, size, net.agent);
        up = { url: prev.url, uploadId: prev.uploadId };
      } catch (err) {
        if (!(err instanceof RemoteError)) throw err;
        await saved?.clear();
      }
    }
    if (!up || !pos) {
      const created = await create(tracker, opts.name ?? basename(file), ident, net.agent);
      up = created.upload;
      pos = { offset: 0, challenge: created.challenge };
      await saved?.save({ v: 1, tracker, path: file, size, sha256: ident.sha256, url: up.url, uploadId: up.uploadId, created: new Date().toISOString() });
      // An empty upload is complete once created.
      if (size === 0) pos = await head(up.url, size, net.agent);
    }
    const resumedAt = pos.offset;
    opts.onStart?.(size, pos.offset);
    const opened = performance.now();
    let proof = pos.challenge && pos.offset < size ? await proofFromFile(file, pos.challenge, up.uploadId, size) : undefined;
    const proved = performance.now();
    const earlyCandidate = proof !== undefined;
    let best = pos.offset;
    let failures = 0;
    while (!pos.done) {
      // With an answer to give, stop at the next checkpoint: that is where a duplicate ends.
      const end = proof ? Math.min(size, nextCheckpointAfter(pos.offset)) : size;
      try {
        pos = await patch(up.url, file, pos.offset, end, size, proof, net.agent, opts.onProgress);
      } catch (err) {
        if (isFinal(err)) throw err;
        const retries = opts.retries ?? DEFAULT_RETRIES;
        const { code, message } = describeError(err);
        let now: Position | undefined;
        try {
          now = await head(up.url, size, net.agent);
        } catch (headErr) {
          if (isFinal(headErr)) throw headErr;
        }
        if (now && now.offset > best) {
          best = now.offset;
          failures = 0;
        }
        failures++;
        if (failures > retries) {
          const at = now?.offset ?? best;
          throw new CliError('UPLOAD_FAILED', `upload interrupted at ${formatBytes(at)} of ${formatBytes(size)} (${code}: ${message}); run the same command again to resume`, { cause: err });
        }
        opts.onRetry?.(`${code}: ${message}; resuming at ${formatBytes(now?.offset ?? best)}`);
        await sleep(BACKOFF_MS[Math.min(failures - 1, BACKOFF_MS.length - 1)]);
        if (now) pos = now;
      }
      // One answer per upload: the node has used it, whatever came of it.
      proof = undefined;
      opts.onProgress?.(pos.offset);
    }
    await saved?.clear();
    // An early stop links the stored blob of exactly the declared identity; a full upload is checked.
    const early = earlyCandidate && pos.done.dedup && net.sent() < size;
    if (!early) await checkStored(tracker, pos.done.id, ident, net.agent);
    return {
      link: pos.done.link,
      id: pos.done.id,
      md5: ident.md5,
      sha256: ident.sha256,
      size,
      dedup: pos.done.dedup,
      sentBytes: net.sent(),
      uploadMs: performance.now() - started,
      hashMs,
      earlyStop: early,
      resumedAt,
      uploadId: up.uploadId,
      phases: { open: opened - started, proof: proved - opened, send: performance.now() - proved },
    };
  } finally {
    await net.close();
  }
}

/** Answers that a retry cannot change: the upload is gone or refused. */
function isFinal(err: unknown): boolean {
  return err instanceof RemoteError && err.status >= 400 && err.status < 500 && ![408, 409, 423, 429, 460].includes(err.status);
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

async function create(tracker: string, filename: string, ident: { md5: string; sha256: string; size: number }, dispatcher: Dispatcher): Promise<{ upload: Upload; challenge?: Challenge }> {
  const res = await reaching(`the tracker at ${tracker}`, () => request(tracker + TUS_TRACKER.create, {
    method: 'POST',
    dispatcher,
    headers: {
      [TUS_H.resumable]: TUS_VERSION,
      [TUS_H.length]: String(ident.size),
      [TUS_H.metadata]: formatMetadata({ filename, md5: ident.md5, sha256: ident.sha256 }),
      ...authFor(tracker),
    },
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  }));
  const text = await res.body.text();
  if (res.statusCode !== 201) throw remoteError(res.statusCode, text);
  const location = header(res.headers, 'location');
  if (!location) throw new CliError('BAD_RESPONSE', 'tracker created the upload without a Location');
  const url = new URL(location, tracker + '/').toString();
  const uploadId = new URL(url).pathname.split('/').pop() ?? '';
  if (!UPLOAD_ID_RE.test(uploadId)) throw new CliError('BAD_RESPONSE', `tracker answered an upload URL without an upload id: ${url}`);
  return { upload: { url, uploadId }, challenge: parseChallenge(header(res.headers, TUS_H.challenge), ident.size) };
}

function position(h: Record<string, string | string[] | undefined>, size: number): Position {
  const offset = Number(header(h, TUS_H.offset));
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) throw new CliError('BAD_RESPONSE', `node sent Upload-Offset ${header(h, TUS_H.offset)}`);
  const link = header(h, TUS_H.link);
  const id = header(h, TUS_H.linkId);
  return {
    offset,
    challenge: parseChallenge(header(h, TUS_H.challenge), size),
    done: offset === size && link && id ? { link, id, dedup: header(h, TUS_H.dedup) === '1' } : undefined,
  };
}

async function head(url: string, size: number, dispatcher: Dispatcher): Promise<Position> {
  const res = await request(url, { method: 'HEAD', dispatcher, headers: { [TUS_H.resumable]: TUS_VERSION }, headersTimeout: 30_000 });
  await res.body.dump();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new RemoteError(res.statusCode, res.statusCode === 410 ? 'UPLOAD_EXPIRED' : res.statusCode === 404 ? 'UPLOAD_NOT_FOUND' : `HTTP_${res.statusCode}`, 'upload is gone');
  return position(res.headers, size);
}

async function patch(
  url: string,
  file: string,
  offset: number,
  end: number,
  size: number,
  proof: string | undefined,
  dispatcher: Dispatcher,
  onProgress?: (offset: number) => void,
): Promise<Position> {
  const headers: Record<string, string> = {
    [TUS_H.resumable]: TUS_VERSION,
    [TUS_H.offset]: String(offset),
    'content-type': 'application/offset+octet-stream',
    'content-length': String(end - offset),
  };
  if (proof) headers[TUS_H.proof] = proof;
  const stream = end > offset ? createReadStream(file, { start: offset, end: end - 1, highWaterMark: 1 << 20 }) : undefined;
  // Counted as undici pulls it: a 'data' listener would start the stream flowing and lose pieces to nobody.
  async function* counted(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let sent = offset;
    for await (const b of src) {
      sent += b.length;
      onProgress?.(sent);
      yield b;
    }
  }
  try {
    const res = await request(url, { method: 'PATCH', dispatcher, headers, body: stream && Readable.from(counted(stream), { objectMode: false }), headersTimeout: 120_000, bodyTimeout: 60_000 });
    const text = await res.body.text();
    if (res.statusCode !== 204 && res.statusCode !== 200) throw remoteError(res.statusCode, text);
    return position(res.headers, size);
  } finally {
    stream?.destroy();
  }
}

/** What the tracker says the link holds must be what was hashed here: else the upload went wrong on the way. */
async function checkStored(tracker: string, id: string, ident: { md5: string; sha256: string; size: number }, dispatcher: Dispatcher): Promise<void> {
  const res = await reaching(`the tracker at ${tracker}`, () => request(tracker + TRACKER.linkInfo + encodeURIComponent(id), { method: 'GET', dispatcher, headersTimeout: 30_000, bodyTimeout: 30_000 }));
  const text = await res.body.text();
  if (res.statusCode !== 200) throw remoteError(res.statusCode, text);
  const info = JSON.parse(text) as Partial<LinkInfo>;
  if (info.sha256 !== ident.sha256 || info.md5 !== ident.md5 || info.size !== ident.size) {
    throw new CliError('CHECKSUM_MISMATCH', `the cluster stored ${info.size} bytes sha256 ${info.sha256} for this file (${ident.size} bytes sha256 ${ident.sha256}); upload it again`);
  }
}
