// One link down: into <out>.part, resuming after breaks with Range/If-Range,
// then checked against the link's MD5, SHA-256 and size before it takes its name.
import { createWriteStream } from 'node:fs';
import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import { CliError, describeError, formatBytes } from '../common/cli.js';
import { remoteError } from '../common/client.js';
import { RemoteError } from '../common/protocol/errors.js';
import { DualHasher, hashFile } from '../common/hash.js';
import { MD5_RE, NODE_ID_RE, SHA256_RE } from '../common/protocol/ids.js';
import { NODE_ID_HEADER, TRACKER } from '../common/protocol/routes.js';
import { type LinkInfo } from '../common/protocol/types.js';
import { safeFileName, type LinkRef } from './link.js';
import { progressBar, type Progress } from './progress.js';
import { authFor } from './credentials.js';
import { callTracker } from './tracker.js';

/** Attempts in a row that add no byte to the .part before giving up. */
export const MAX_ATTEMPTS = 5;
const BACKOFF_MS = [250, 500, 1000, 2000];

/**
 * A node that finds its copy damaged before sending a byte answers with a
 * redirect to the tracker (heal on read): the next attempt goes to another
 * copy at once, neither waiting nor counting as a failure, up to this many
 * times in one download.
 */
const MAX_REFERRALS = 4;

/** A node's 3xx: its copy is not served, another node's may be. */
class SentElsewhere extends Error {
  constructor(readonly status: number) {
    super(`node answered ${status}: its copy is being repaired, asking for another`);
  }
}

/** Throws SentElsewhere for a node's redirect (its body discarded). */
async function checkReferral(res: Dispatcher.ResponseData): Promise<void> {
  if (res.statusCode >= 300 && res.statusCode < 400) {
    await res.body.dump();
    throw new SentElsewhere(res.statusCode);
  }
}

export interface DownloadOptions {
  /** -o: a file path, or an existing directory to put the file in. */
  out?: string;
  /** Replace an existing file of that name that holds other bytes (else FILE_EXISTS). */
  force?: boolean;
  /** Told about each retry (already formatted). */
  onRetry?: (line: string) => void;
  progress?: (label: string, total: number, start: number) => Progress;
}

export interface Downloaded {
  path: string;
  info: LinkInfo;
  /** The file was there already with exactly the link's bytes: nothing was downloaded. */
  present?: boolean;
}

export async function downloadLink(ref: LinkRef, opts: DownloadOptions = {}): Promise<Downloaded> {
  const info = await linkInfo(ref);
  const path = await outputPath(opts.out, info);
  const existing = await stat(path).catch(() => undefined);
  if (existing && !opts.force) {
    // The same bytes are not a conflict; anything else is someone's file, kept unless --force.
    const same = existing.isFile() && existing.size === info.size && sameContent(await hashFile(path), info);
    if (same) return { path, info, present: true };
    throw fatal(new CliError('FILE_EXISTS', `${path} exists and holds other bytes than link ${info.id}; --force replaces it, -o names another file`));
  }
  const part = path + '.part';
  const progress = opts.progress ?? progressBar;
  const resumed = (await sizeOf(part)) > 0;
  await fetchPart(ref, info, part, progress, opts.onRetry ?? (() => {}));

  const bar = progress('verifying', info.size, 0);
  let got: { md5: string; sha256: string; size: number };
  try {
    got = await hashFile(part, (n) => bar.update(n));
  } finally {
    bar.stop();
  }
  if (!sameContent(got, info)) {
    await unlink(part).catch(() => {});
    throw new CliError(
      'CHECKSUM_MISMATCH',
      `downloaded data does not match link ${info.id}: expected ${info.size} bytes sha256 ${info.sha256} md5 ${info.md5}, ` +
        `got ${got.size} bytes sha256 ${got.sha256} md5 ${got.md5}; removed ${part}` +
        (resumed ? ' (it was resumed from an earlier .part, which may belong to another file: running again starts from scratch)' : ''),
    );
  }
  await rename(part, path);
  return { path, info };
}

export async function linkInfo(ref: LinkRef): Promise<LinkInfo> {
  return checkInfo(await callTracker<unknown>(ref.tracker, 'GET', TRACKER.linkInfo + encodeURIComponent(ref.id)), ref.id);
}

function sameContent(got: { md5: string; sha256: string; size: number }, info: LinkInfo): boolean {
  return got.size === info.size && got.md5 === info.md5 && got.sha256 === info.sha256;
}

/**
 * `hoard get -o -`: the link's bytes to `out` (standard output) as they
 * arrive, resumed with a Range from the bytes already written after a break
 * (a node that answers a resume with the whole blob has the bytes already
 * written skipped), hashed on the way and checked at the end. Nothing
 * written can be taken back: a mismatch is an error and exit status 1.
 */
export async function streamLink(ref: LinkRef, out: Writable, opts: Pick<DownloadOptions, 'onRetry' | 'progress'> = {}): Promise<LinkInfo> {
  const info = await linkInfo(ref);
  const progress = opts.progress ?? progressBar;
  const onRetry = opts.onRetry ?? (() => {});
  const hash = new DualHasher();
  const sink = new Output(out);
  let failures = 0;
  let referrals = 0;
  let best = 0;
  const avoid: string[] = [];
  while (hash.size < info.size) {
    let node: string | undefined;
    let err: unknown;
    try {
      const target = await resolveLink(ref, avoid);
      node = target.node;
      await streamOnce(target.url, sink, hash, info, progress);
    } catch (e) {
      if (FATAL.has(e as object)) throw e;
      err = e;
    }
    if (hash.size >= info.size) break;
    err ??= new CliError('DOWNLOAD_FAILED', `transfer ended after ${hash.size} of ${info.size} bytes`);
    if (node !== undefined && !avoid.includes(node)) avoid.push(node);
    if (err instanceof SentElsewhere && referrals++ < MAX_REFERRALS) continue;
    const progressed = hash.size > best;
    if (progressed) {
      best = hash.size;
      failures = 0;
    }
    failures++;
    const { code, message } = describeError(err);
    if (failures >= MAX_ATTEMPTS) {
      throw new CliError('DOWNLOAD_FAILED', `gave up after ${MAX_ATTEMPTS} attempts without progress (last: ${code}: ${message}); ${hash.size} of ${info.size} bytes were written`, { cause: err });
    }
    onRetry(`${code}: ${message}; ` + (progressed ? `resuming at ${formatBytes(hash.size)}` : `retrying from ${formatBytes(hash.size)} (attempt ${failures + 1} of ${MAX_ATTEMPTS})`));
    await sleep(BACKOFF_MS[Math.min(failures - 1, BACKOFF_MS.length - 1)]);
  }
  const got = hash.digest();
  if (!sameContent(got, info)) {
    throw new CliError('CHECKSUM_MISMATCH', `the bytes written do not match link ${info.id}: expected ${info.size} bytes sha256 ${info.sha256}, got ${got.size} bytes sha256 ${got.sha256}`);
  }
  return info;
}

/** One GET of the signed URL from the bytes already written to `out`. */
async function streamOnce(url: string, out: Output, hash: DualHasher, info: LinkInfo, progress: NonNullable<DownloadOptions['progress']>): Promise<void> {
  const have = hash.size;
  const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-`, 'if-range': `"${info.sha256}"` } : {};
  const res = await request(url, { method: 'GET', headers, headersTimeout: 30_000, bodyTimeout: 60_000 });
  await checkReferral(res);
  let skip = 0;
  if (res.statusCode === 206) {
    const range = parseContentRange(first(res.headers['content-range']));
    if (!range || range.start !== have || range.total !== info.size) {
      await res.body.dump();
      throw new CliError('BAD_RESPONSE', `node sent range ${first(res.headers['content-range']) ?? '(none)'} for bytes=${have}-`);
    }
  } else if (res.statusCode === 200) {
    skip = have;
  } else {
    throw remoteError(res.statusCode, await res.body.text());
  }
  const bar = progress(info.filename, info.size, have);
  try {
    for await (const piece of res.body as AsyncIterable<Buffer>) {
      let b = piece;
      if (skip > 0) {
        const n = Math.min(skip, b.length);
        skip -= n;
        b = b.subarray(n);
        if (b.length === 0) continue;
      }
      if (hash.size + b.length > info.size) throw new CliError('BAD_RESPONSE', `node sent more than the link's ${info.size} bytes`);
      hash.update(b);
      bar.update(hash.size);
      await out.write(b);
    }
  } finally {
    bar.stop();
  }
}

/** An output written with backpressure; once it fails (a closed pipe) the download ends for good. */
class Output {
  private failed: Error | undefined;
  private waiting: (() => void) | undefined;

  constructor(private readonly out: Writable) {
    out.on('error', (err: Error) => {
      this.failed ??= err;
      this.waiting?.();
    });
    out.on('drain', () => this.waiting?.());
  }

  async write(b: Buffer): Promise<void> {
    this.check();
    if (!this.out.write(b)) {
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
    this.check();
  }

  private check(): void {
    if (this.failed) throw fatal(this.failed);
  }
}

/** Fills `part` up to info.size, resuming from whatever it already holds. */
async function fetchPart(
  ref: LinkRef,
  info: LinkInfo,
  part: string,
  progress: NonNullable<DownloadOptions['progress']>,
  onRetry: (line: string) => void,
): Promise<void> {
  let best = Math.max(0, await sizeOf(part));
  let failures = 0;
  let referrals = 0;
  // Nodes that failed this download: the tracker sends the next attempt to another copy.
  const avoid: string[] = [];
  for (;;) {
    let have = await sizeOf(part);
    if (have === info.size) return;
    if (have > info.size) {
      // Longer than the blob: not a prefix of it, whatever it is.
      await writeFile(part, '');
      have = 0;
    }
    have = Math.max(0, have);

    let err: unknown;
    let node: string | undefined;
    try {
      const target = await resolveLink(ref, avoid);
      node = target.node;
      await fetchOnce(target.url, part, have, info, progress);
    } catch (e) {
      if (FATAL.has(e as object)) throw e;
      err = e;
    }
    // -1 when absent: a failed first attempt at an empty file must not count as done.
    const got = await sizeOf(part);
    if (got === info.size) return;
    const now = Math.max(0, got);
    err ??= new CliError('DOWNLOAD_FAILED', `transfer ended after ${now} of ${info.size} bytes`);
    if (node !== undefined && !avoid.includes(node)) avoid.push(node);
    if (err instanceof SentElsewhere && referrals++ < MAX_REFERRALS) continue;

    // Only a new high-water mark counts as progress: a node that keeps ignoring
    // Range and breaking at the same place still runs out of attempts.
    const progressed = now > best;
    if (progressed) {
      best = now;
      failures = 0;
    }
    failures++;
    const { code, message } = describeError(err);
    if (failures >= MAX_ATTEMPTS) {
      throw new CliError('DOWNLOAD_FAILED', `gave up after ${MAX_ATTEMPTS} attempts without progress (last: ${code}: ${message}); ${part} is kept for a later resume`, { cause: err });
    }
    onRetry(`${code}: ${message}; ` + (progressed ? `resuming at ${formatBytes(now)}` : `retrying from ${formatBytes(now)} (attempt ${failures + 1} of ${MAX_ATTEMPTS})`));
    await sleep(BACKOFF_MS[Math.min(failures - 1, BACKOFF_MS.length - 1)]);
  }
}

/** Errors a retry cannot fix: the link is gone, or the local disk refuses writes. */
const FATAL = new WeakSet<object>();

function fatal<E extends object>(err: E): E {
  FATAL.add(err);
  return err;
}

/**
 * GET /f/<id> without following the redirect: a fresh signed URL on a live
 * node other than those in `avoid` when there is one, and that node's id.
 */
async function resolveLink(ref: LinkRef, avoid: readonly string[] = []): Promise<{ url: string; node?: string }> {
  const query = avoid.length > 0 ? '?' + avoid.map((n) => 'avoid=' + encodeURIComponent(n)).join('&') : '';
  const res = await request(ref.tracker + TRACKER.link + encodeURIComponent(ref.id) + query, {
    method: 'GET',
    headers: authFor(ref.tracker),
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const text = await res.body.text();
  const location = first(res.headers.location);
  if (res.statusCode >= 300 && res.statusCode < 400 && location) {
    const node = first(res.headers[NODE_ID_HEADER]);
    return { url: new URL(location, ref.tracker + '/').toString(), node: node && NODE_ID_RE.test(node) ? node : undefined };
  }
  const err = res.statusCode >= 300 && res.statusCode < 400
    ? new CliError('BAD_RESPONSE', `tracker answered ${res.statusCode} without a Location`)
    : remoteError(res.statusCode, text);
  // 4xx from the tracker (unknown link, bad id) will not change on retry; 408/429/5xx may.
  if (err instanceof RemoteError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) throw fatal(err);
  throw err;
}

/** One GET of the signed URL, appending to `part` (206) or rewriting it (200). */
async function fetchOnce(
  url: string,
  part: string,
  have: number,
  info: LinkInfo,
  progress: NonNullable<DownloadOptions['progress']>,
): Promise<void> {
  const headers: Record<string, string> = {};
  if (have > 0) {
    headers.range = `bytes=${have}-`;
    // Strong ETag = the blob's SHA-256: a different blob answers 200 with the whole body.
    headers['if-range'] = `"${info.sha256}"`;
  }
  const res = await request(url, { method: 'GET', headers, headersTimeout: 30_000, bodyTimeout: 60_000 });
  await checkReferral(res);
  let start: number;
  if (res.statusCode === 206) {
    const range = parseContentRange(first(res.headers['content-range']));
    if (!range || range.start !== have || range.total !== info.size) {
      await res.body.dump();
      await writeFile(part, '');
      throw new CliError('BAD_RESPONSE', `node sent range ${first(res.headers['content-range']) ?? '(none)'} for bytes=${have}-; starting over`);
    }
    start = have;
  } else if (res.statusCode === 200) {
    start = 0;
  } else {
    const text = await res.body.text();
    if (res.statusCode === 416) await writeFile(part, '');
    throw remoteError(res.statusCode, text);
  }

  const bar = progress(info.filename, info.size, start);
  let done = start;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      bar.update(done);
      cb(null, chunk);
    },
  });
  const file = createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
  // pipeline destroys every stream with the first error, so the first to report it is where it came from.
  let origin: 'network' | 'disk' | undefined;
  res.body.on('error', () => (origin ??= 'network'));
  file.on('error', () => (origin ??= 'disk'));
  try {
    await pipeline(res.body, counter, file);
  } catch (err) {
    throw origin === 'disk' ? fatal(err as Error) : err;
  } finally {
    bar.stop();
  }
}

function parseContentRange(v: string | undefined): { start: number; end: number; total: number } | undefined {
  const m = v ? /^bytes (\d+)-(\d+)\/(\d+)$/.exec(v.trim()) : null;
  return m ? { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]) } : undefined;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw err;
  }
}

async function outputPath(out: string | undefined, info: LinkInfo): Promise<string> {
  const name = safeFileName(info.filename, info.id);
  if (out === undefined || out === '') return name;
  const st = await stat(out).catch(() => undefined);
  return st?.isDirectory() ? join(out, name) : out;
}

function checkInfo(v: unknown, id: string): LinkInfo {
  const i = v as Partial<LinkInfo> | null;
  const ok =
    i !== null &&
    typeof i === 'object' &&
    typeof i.filename === 'string' &&
    Number.isSafeInteger(i.size) &&
    (i.size as number) >= 0 &&
    typeof i.md5 === 'string' &&
    MD5_RE.test(i.md5) &&
    typeof i.sha256 === 'string' &&
    SHA256_RE.test(i.sha256);
  if (!ok) throw new CliError('BAD_RESPONSE', `tracker sent malformed link info for ${id}`);
  return { ...(i as LinkInfo), id: typeof i.id === 'string' ? i.id : id };
}
