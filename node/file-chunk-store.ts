// The file back end of ChunkStore.
//
//   DATA/tmp/<upload id>/000000, 000001, …, manifest.json   uploads in progress
//   DATA/tus/<key>/000000, …                                  resumable uploads (kept across restarts)
//   DATA/blobs/<id[0..2]>/<id>/000000, …, manifest.json      visible blobs
//   DATA/quarantine/<id>.<unix ms>/                          copies withdrawn after a bad checksum
//
// An upload is written and fsynced in its temp dir, then renamed into
// blobs/ in one step, so a blob dir always holds a complete manifest and
// every chunk. Removal renames the dir back into tmp/ before deleting it.
// Anything under tmp/ is a leftover and is deleted by open().
//
// Reads (file-chunk-reads.ts) check every chunk against its SHA-256 before
// sending any of its bytes (ChunkVerifier, with a cache of chunks verified
// recently): a bad chunk fails the read with CHUNK_CORRUPT, before the status
// line when it is the first chunk of the range, else by cutting the
// connection short of the bad chunk; the reader never receives a byte of it.
// Chunk descriptors are shared through a bounded cache, dropped whenever a
// blob folder leaves blobs/ or appears there.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, statfs, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { HoardError } from '../common/errors.js';
import { DualHasher } from '../common/hash.js';
import type { BlobCheck } from '../common/integrity.js';
import { nextCheckpointAfter, type PrefixHash } from '../common/prefix.js';
import { SHA256_RE, type BlobManifest, type ChunkInfo } from '../common/protocol.js';
import {
  isValidManifest,
  RESUMABLE_KEY_RE,
  type BeginOptions,
  type ChunkStore,
  type ChunkWriter,
  type DiskSpace,
  type FinishResult,
  type QuarantinedCopy,
  type ResumableChunkStore,
  type ResumableWriter,
  type StoredBlob,
} from './chunk-store.js';
import { ChunkVerifier, type CheckOptions } from './chunk-verifier.js';
import { DirSync } from './dir-sync.js';
import { FileChunkReads } from './file-chunk-reads.js';

/** File-system steps the store takes, reported to `onFsOp` before each one. */
export type FsOp = 'open' | 'write' | 'fsync' | 'fsyncDir' | 'mkdir' | 'rename' | 'rm';

export interface FileChunkStoreOptions {
  /** The node's data directory; blobs/ and tmp/ live inside it. */
  dir: string;
  chunkSize: number;
  /** Bytes kept free: a new chunk file is refused (507) when it would cut into them. */
  reserve?: number;
  manifestCacheSize?: number;
  log?: Logger;
  /** Sees every durable step in order; throwing from it makes that step fail (fault injection). */
  onFsOp?: (op: FsOp, path: string) => void;
  /** Checks chunks before they are served (default: one trusting a verified chunk for 10 minutes). */
  verifier?: ChunkVerifier;
  /**
   * Awaited when a read finds a bad chunk, before the read fails: the node
   * quarantines the copy and tells the tracker, so the reader's retry is sent
   * to another copy. Must not throw.
   */
  onCorrupt?: (id: string, chunks: number[]) => Promise<void>;
  /** Chunk file descriptors kept open for reads (default 512). */
  maxOpenFiles?: number;
}

const MANIFEST = 'manifest.json';
/** Pending bytes that trigger a write; one write stays in flight while the next batch fills. */
const FLUSH_BYTES = 1 << 20;
/**
 * Resumable writers keep up to 2 MiB pending: the first prefix checkpoint
 * (1 MiB) is then passed before any byte is written, so a duplicate that
 * stops there never touches the disk.
 */
const RESUMABLE_FLUSH_BYTES = 2 << 20;
/** Stay well under IOV_MAX (1024) for one writev. */
const MAX_IOV = 256;
const READ_BYTES = 1 << 20;
/** The largest readSample (a proof range is at most 1 MiB). */
const SAMPLE_MAX = 1 << 20;

export const chunkName = (index: number): string => String(index).padStart(6, '0');

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

export class FileChunkStore implements ChunkStore, ResumableChunkStore {
  readonly dir: string;
  readonly chunkSize: number;
  readonly blobsDir: string;
  readonly tmpDir: string;
  /** Resumable uploads: not under tmp/, so a restart keeps them. */
  readonly resumableRoot: string;
  readonly quarantineDir: string;
  readonly verifier: ChunkVerifier;
  /** The read path (descriptor cache, buffers). */
  readonly reads: FileChunkReads;
  private readonly reserve: number;
  private readonly log?: Logger;
  private readonly onFsOp?: (op: FsOp, path: string) => void;
  private readonly cache: LRUCache<string, StoredBlob>;
  private blobCount = 0;
  private readonly dirSync = new DirSync();
  private spaceNow: Promise<DiskSpace> | undefined;

  constructor(opts: FileChunkStoreOptions) {
    this.dir = opts.dir;
    this.chunkSize = opts.chunkSize;
    this.reserve = opts.reserve ?? 0;
    this.log = opts.log;
    this.onFsOp = opts.onFsOp;
    this.blobsDir = join(opts.dir, 'blobs');
    this.tmpDir = join(opts.dir, 'tmp');
    this.resumableRoot = join(opts.dir, 'tus');
    this.quarantineDir = join(opts.dir, 'quarantine');
    this.verifier = opts.verifier ?? new ChunkVerifier({ ttlMs: 600_000 });
    this.reads = new FileChunkReads({
      verifier: this.verifier,
      onCorrupt: opts.onCorrupt,
      stillThere: async (dir, id) => (await this.readManifest(dir, id)) !== undefined,
      log: opts.log,
      maxOpenFiles: opts.maxOpenFiles,
    });
    this.cache = new LRUCache({ max: opts.manifestCacheSize ?? 10_000 });
    if (!Number.isSafeInteger(this.chunkSize) || this.chunkSize <= 0) throw new RangeError('chunkSize must be a positive integer');
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const createdBlobs = await this.mkdirOnce(this.blobsDir);
    // Leftovers of interrupted uploads and removals: never part of a blob.
    await this.rmTree(this.tmpDir);
    await mkdir(this.tmpDir);
    await mkdir(this.resumableRoot, { recursive: true });
    await mkdir(this.quarantineDir, { recursive: true });
    if (createdBlobs) await this.fsyncDir(this.dir);
    let n = 0;
    for await (const _ of this.list()) n++;
    this.blobCount = n;
  }

  async close(): Promise<void> {
    this.cache.clear();
    this.reads.close();
  }

  async begin(opts: BeginOptions = {}): Promise<ChunkWriter> {
    const chunkSize = opts.chunkSize ?? this.chunkSize;
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new RangeError('chunkSize must be a positive integer');
    const uploadId = randomBytes(12).toString('hex');
    const dir = join(this.tmpDir, uploadId);
    this.fsOp('mkdir', dir);
    await mkdir(dir);
    return new FileChunkWriter(this, uploadId, dir, chunkSize);
  }

  // ---- resumable uploads ----

  resumableDir(key: string): string {
    if (!RESUMABLE_KEY_RE.test(key)) throw new TypeError(`invalid resumable key ${JSON.stringify(key)}`);
    return join(this.resumableRoot, key);
  }

  async beginResumable(key: string): Promise<ResumableWriter> {
    const dir = this.resumableDir(key);
    await this.rmTree(dir);
    // The folder is made with the first write and made durable by the first flush: a duplicate that stops early never pays for either.
    return new FileChunkWriter(this, key, dir, this.chunkSize, true, true);
  }

  async resumeResumable(key: string, bytes: number): Promise<ResumableWriter> {
    const dir = this.resumableDir(key);
    await mkdir(dir, { recursive: true });
    const w = new FileChunkWriter(this, key, dir, this.chunkSize, true);
    try {
      await w.replay(bytes);
    } catch (err) {
      await w.release();
      throw err;
    }
    return w;
  }

  async removeResumable(key: string): Promise<number> {
    const dir = this.resumableDir(key);
    let bytes = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      bytes += (await stat(join(dir, name)).catch(() => undefined))?.size ?? 0;
    }
    await this.rmTree(dir);
    return bytes;
  }

  async listResumable(): Promise<string[]> {
    const names = await readdir(this.resumableRoot, { withFileTypes: true }).catch(() => []);
    return names.filter((d) => d.isDirectory() && RESUMABLE_KEY_RE.test(d.name)).map((d) => d.name);
  }

  blobDir(id: string): string {
    return join(this.blobsDir, id.slice(0, 2), id);
  }

  async get(id: string): Promise<StoredBlob | undefined> {
    if (!SHA256_RE.test(id)) return undefined;
    const hit = this.cache.get(id);
    if (hit) return hit;
    const blob = await this.readManifest(this.blobDir(id), id);
    if (blob) this.cache.set(id, blob);
    return blob;
  }

  async has(id: string): Promise<boolean> {
    return (await this.get(id)) !== undefined;
  }

  async read(id: string, start = 0, end?: number): Promise<Readable> {
    const blob = await this.get(id);
    if (!blob) throw new HoardError('BLOB_NOT_FOUND');
    const { size } = blob.manifest;
    const last = end ?? size - 1;
    const empty = size === 0 && start === 0 && last === -1;
    if (!empty && !(Number.isSafeInteger(start) && Number.isSafeInteger(last) && start >= 0 && start <= last && last < size)) {
      throw new HoardError('RANGE_NOT_SATISFIABLE');
    }
    // The first chunk is checked before this returns, so a bad one is a clean error status rather than a cut connection.
    return this.reads.read(this.blobDir(id), blob.manifest, start, last);
  }

  /** Reads every chunk of a copy and checks it; undefined when the blob is absent. */
  async verify(id: string, opts: CheckOptions = {}): Promise<BlobCheck | undefined> {
    const blob = await this.get(id);
    if (!blob) return undefined;
    const dir = this.blobDir(id);
    const m = blob.manifest;
    const out: BlobCheck = { id, chunks: m.chunks.length, bytes: 0, bad: [] };
    for (let i = 0; i < m.chunks.length; i++) {
      const path = join(dir, chunkName(i));
      let fh: FileHandle;
      try {
        fh = await open(path, 'r');
      } catch (err) {
        if (errno(err) !== 'ENOENT') throw err;
        // Gone with its manifest: the blob was removed meanwhile. Gone alone: a damaged copy.
        if (!(await this.readManifest(dir, id))) return undefined;
        out.bad.push(i);
        continue;
      }
      try {
        const r = await this.verifier.check(path, fh, m.chunks[i]!, opts);
        out.bytes += r.bytes;
        if (!r.ok) out.bad.push(i);
      } finally {
        await fh.close();
      }
    }
    return out;
  }

  /**
   * Bytes `start..end` (inclusive, at most SAMPLE_MAX) as stored, without the
   * chunk check: a proof of possession reads a few KiB from each of ~17
   * chunks, and hashing each whole chunk first cost over 100 ms. A bad byte
   * only makes the expected answer wrong, and the upload then runs in full.
   */
  async readSample(id: string, start: number, end: number): Promise<Buffer> {
    const blob = await this.get(id);
    if (!blob) throw new HoardError('BLOB_NOT_FOUND');
    const m = blob.manifest;
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end < m.size && end - start < SAMPLE_MAX)) {
      throw new HoardError('RANGE_NOT_SATISFIABLE');
    }
    const dir = this.blobDir(id);
    const out = Buffer.allocUnsafe(end - start + 1);
    let got = 0;
    while (got < out.length) {
      const pos = start + got;
      const i = Math.floor(pos / m.chunkSize);
      const fh = await open(join(dir, chunkName(i)), 'r').catch((err: unknown) => {
        // Gone since get(): removed meanwhile, or a damaged copy; either way no answer can be computed.
        throw errno(err) === 'ENOENT' ? new HoardError('BLOB_NOT_FOUND', undefined, { cause: err }) : err;
      });
      try {
        const stop = Math.min(out.length, got + (i + 1) * m.chunkSize - pos);
        while (got < stop) {
          const { bytesRead } = await fh.read(out, got, stop - got, start + got - i * m.chunkSize);
          if (bytesRead === 0) throw new HoardError('CHUNK_CORRUPT', `Chunk ${i} of blob ${m.id} is shorter than its manifest says`);
          got += bytesRead;
        }
      } finally {
        await fh.close();
      }
    }
    return out;
  }

  /**
   * Withdraws a copy: its folder moves to quarantine/ (kept for inspection
   * until cleanQuarantine), so reads answer 404 at once. False when absent.
   */
  async quarantine(id: string): Promise<boolean> {
    return SHA256_RE.test(id) && this.moveAway(id, join(this.quarantineDir, `${id}.${Date.now()}`));
  }

  /** Takes a blob out of blobs/ with a durable rename to `dest`; false when it was not there. */
  private async moveAway(id: string, dest: string): Promise<boolean> {
    const dir = this.blobDir(id);
    this.cache.delete(id);
    try {
      this.fsOp('rename', dir);
      await rename(dir, dest);
    } catch (err) {
      if (errno(err) === 'ENOENT') return false;
      throw err;
    }
    this.dropped();
    // After the rename: a descriptor opened before it is dropped too.
    this.reads.forgetDir(dir);
    await this.fsyncDir(dirname(dir));
    return true;
  }

  async quarantined(): Promise<QuarantinedCopy[]> {
    let names: string[];
    try {
      names = await readdir(this.quarantineDir);
    } catch (err) {
      if (errno(err) === 'ENOENT') return [];
      throw err;
    }
    const out: QuarantinedCopy[] = [];
    for (const n of names) {
      const m = /^([0-9a-f]{64})\.(\d+)$/.exec(n);
      if (m) out.push({ id: m[1]!, since: new Date(Number(m[2])), path: join(this.quarantineDir, n) });
    }
    return out;
  }

  /** Deletes quarantined copies older than `keepMs`, or every one of blob `id`; returns how many went. */
  async dropQuarantined(sel: { olderThanMs?: number; id?: string }, now = Date.now()): Promise<number> {
    let n = 0;
    for (const q of await this.quarantined()) {
      const old = sel.olderThanMs !== undefined && now - q.since.getTime() >= sel.olderThanMs;
      if (old || q.id === sel.id) {
        await this.rmTree(q.path);
        n++;
      }
    }
    return n;
  }

  /** Blob ids in id order, after `after`, at most `limit`. */
  async listPage(after: string | undefined, limit: number): Promise<string[]> {
    let prefixes: string[];
    try {
      prefixes = (await readdir(this.blobsDir)).filter((p) => /^[0-9a-f]{2}$/.test(p)).sort();
    } catch (err) {
      if (errno(err) === 'ENOENT') return [];
      throw err;
    }
    const out: string[] = [];
    const from = after?.slice(0, 2);
    for (const p of prefixes) {
      if (from !== undefined && p < from) continue;
      let names: string[];
      try {
        names = await readdir(join(this.blobsDir, p));
      } catch (err) {
        if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') continue;
        throw err;
      }
      for (const n of names.filter((x) => SHA256_RE.test(x) && x.startsWith(p)).sort()) {
        if (after !== undefined && n <= after) continue;
        out.push(n);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  async remove(id: string): Promise<boolean> {
    if (!SHA256_RE.test(id)) return false;
    const trash = join(this.tmpDir, 'rm-' + randomBytes(8).toString('hex'));
    // The blob is gone once the rename is durable; deleting the files can wait for a crash (tmp/ is emptied at start).
    if (!(await this.moveAway(id, trash))) return false;
    await this.rmTree(trash);
    return true;
  }

  async *list(prefix?: string): AsyncIterable<string> {
    let prefixes: string[];
    try {
      prefixes = prefix === undefined ? await readdir(this.blobsDir) : [prefix];
    } catch (err) {
      if (errno(err) === 'ENOENT') return;
      throw err;
    }
    for (const p of prefixes) {
      if (!/^[0-9a-f]{2}$/.test(p)) continue;
      let names: string[];
      try {
        names = await readdir(join(this.blobsDir, p));
      } catch (err) {
        if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') continue;
        throw err;
      }
      for (const n of names) if (SHA256_RE.test(n) && n.startsWith(p)) yield n;
    }
  }

  count(): number {
    return this.blobCount;
  }

  /** Callers that ask while a statfs is running share its answer (two per upload otherwise). */
  space(): Promise<DiskSpace> {
    this.spaceNow ??= statfs(this.dir)
      .then((s) => ({ freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }))
      .finally(() => {
        this.spaceNow = undefined;
      });
    return this.spaceNow;
  }

  // ---- used by FileChunkWriter ----

  fsOp(op: FsOp, path: string): void {
    this.onFsOp?.(op, path);
  }

  /** Concurrent uploads renaming into one folder share its fsync (node/dir-sync.ts). */
  async fsyncDir(path: string): Promise<void> {
    this.fsOp('fsyncDir', path);
    await this.dirSync.sync(path);
  }

  /** mkdir that reports whether it created the dir. */
  async mkdirOnce(path: string): Promise<boolean> {
    try {
      this.fsOp('mkdir', path);
      await mkdir(path);
      return true;
    } catch (err) {
      if (errno(err) === 'EEXIST') return false;
      throw err;
    }
  }

  async rmTree(path: string): Promise<void> {
    this.fsOp('rm', path);
    await rm(path, { recursive: true, force: true, maxRetries: 2 });
  }

  /** Refuses a new chunk file when the disk is down to its reserve. */
  async checkRoom(bytes: number): Promise<void> {
    if (this.reserve <= 0) return;
    const { freeBytes } = await this.space();
    if (freeBytes - bytes < this.reserve) {
      throw new HoardError('INSUFFICIENT_STORAGE', 'Storage node is down to its reserved free space');
    }
  }

  async readManifest(dir: string, id?: string): Promise<StoredBlob | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(join(dir, MANIFEST), 'r');
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
      throw err;
    }
    try {
      const st = await fh.stat();
      if (st.size > 64 << 20) return undefined;
      const text = await fh.readFile('utf8');
      let m: unknown;
      try {
        m = JSON.parse(text);
      } catch {
        m = undefined;
      }
      if (!isValidManifest(m, id)) {
        this.log?.warn({ dir }, 'blob dir without a valid manifest is ignored');
        return undefined;
      }
      return { manifest: m, mtime: st.mtime };
    } finally {
      await fh.close();
    }
  }

  /** Called when a blob dir left blobs/ (removed, quarantined, or debris). */
  dropped(): void {
    // A folder copied into blobs/ by hand while the node runs was never counted:
    // removing it must not take the count (sent in heartbeats) below zero.
    this.blobCount = Math.max(0, this.blobCount - 1);
  }

  /** Called when a finished upload made a blob visible. */
  added(blob: StoredBlob): void {
    this.blobCount++;
    this.cache.set(blob.manifest.id, blob);
    // Descriptors left from an earlier copy under the same path are not this copy's files.
    this.reads.forgetDir(this.blobDir(blob.manifest.id));
  }
}

type WriterState = 'open' | 'finishing' | 'done' | 'aborted';

/**
 * Splits the body into chunk files. Hashing happens synchronously in write()
 * so the order of bytes is the order of calls; disk work runs on a queue, one
 * step at a time, in the same order.
 */
class FileChunkWriter implements ResumableWriter {
  private readonly whole = new DualHasher();
  private chunkHash: Hash = createHash('sha256');
  private nextCp = nextCheckpointAfter(0);
  readonly prefixes: PrefixHash[] = [];
  private inChunk = 0;
  private chunkIndex = 0;
  private readonly chunks: ChunkInfo[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private fh: FileHandle | undefined;
  private fhIndex = -1;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private failure: unknown;
  private failed = false;
  private state: WriterState = 'open';
  private aborting: Promise<void> | undefined;
  private sealed: BlobManifest | undefined;

  constructor(
    private readonly store: FileChunkStore,
    readonly uploadId: string,
    private readonly dir: string,
    private readonly chunkSize: number,
    /** The dir's own entry still needs an fsync of its parent at the first flush. */
    private syncParent = false,
    /** The dir does not exist yet: the first disk step makes it. */
    private makeDir = false,
  ) {
    this.flushBytes = syncParent ? RESUMABLE_FLUSH_BYTES : FLUSH_BYTES;
  }

  private readonly flushBytes: number;

  private async ensureDir(): Promise<void> {
    if (!this.makeDir) return;
    this.store.fsOp('mkdir', this.dir);
    await mkdir(this.dir, { recursive: true });
    this.makeDir = false;
  }

  get bytes(): number {
    return this.whole.size;
  }

  write(buf: Buffer): Promise<void> | undefined {
    if (this.failed) return Promise.reject(this.failure);
    if (this.state !== 'open') return Promise.reject(new Error(`write after ${this.state}`));
    const cs = this.chunkSize;
    let sealed = false;
    let off = 0;
    while (off < buf.length) {
      const n = this.pieceLength(buf.length - off);
      const part = n === buf.length ? buf : buf.subarray(off, off + n);
      this.hashPiece(part);
      this.pending.push(part);
      this.pendingBytes += n;
      off += n;
      if (this.inChunk === cs) {
        this.sealChunk();
        sealed = true;
      } else if (this.pendingBytes >= this.flushBytes || this.pending.length >= MAX_IOV) {
        this.flushPending();
      }
    }
    // Wait on every chunk fsync; otherwise let one write run while the next batch fills.
    return sealed || this.queued > 1 ? this.settled() : undefined;
  }

  /** Bytes that fit before the next chunk boundary or prefix checkpoint. */
  private pieceLength(left: number): number {
    return Math.min(left, this.chunkSize - this.inChunk, this.nextCp - this.whole.size);
  }

  /** Feeds a piece (never crossing a chunk boundary or checkpoint) to every hash. */
  private hashPiece(part: Buffer): void {
    this.whole.update(part);
    this.chunkHash.update(part);
    this.inChunk += part.length;
    if (this.whole.size === this.nextCp) {
      // Hash.copy() snapshots the running state: the prefix costs no second pass.
      this.prefixes.push({ offset: this.nextCp, ...this.whole.peek() });
      this.nextCp = nextCheckpointAfter(this.nextCp);
    }
  }

  /** Ends the current chunk's record (its file is written by the caller). */
  private closeChunk(): void {
    this.chunks.push({ size: this.inChunk, sha256: this.chunkHash.digest('hex') });
    this.chunkIndex++;
    this.inChunk = 0;
    this.chunkHash = createHash('sha256');
  }

  /**
   * Makes every byte taken so far durable (written and fsynced, with its
   * directory entry) without ending the upload: after it, `bytes` is what a
   * restart finds.
   */
  async flush(): Promise<void> {
    if (this.failed) throw this.failure;
    if (this.state !== 'open') throw new Error(`flush after ${this.state}`);
    if (this.pending.length > 0) this.flushPending();
    this.enqueue(async () => {
      await this.ensureDir();
      if (this.fh) {
        this.store.fsOp('fsync', join(this.dir, chunkName(this.fhIndex)));
        await this.fh.sync();
      }
      await this.store.fsyncDir(this.dir);
      if (this.syncParent) {
        await this.store.fsyncDir(dirname(this.dir));
        this.syncParent = false;
      }
    });
    await this.settled();
  }

  /** Stops using the writer and keeps its files (a resumable upload between requests, or at shutdown). */
  async release(): Promise<void> {
    if (this.state === 'open') this.state = 'aborted';
    this.pending = [];
    await this.queue;
    if (this.fh) {
      await this.fh.close().catch(() => undefined);
      this.fh = undefined;
    }
  }

  /**
   * Rebuilds the running hashes from the chunk files already in the dir,
   * first cutting them back to `bytes` (the last durable offset); the next
   * write appends to the last, partial chunk.
   */
  async replay(bytes: number): Promise<void> {
    const cs = this.chunkSize;
    const names = (await readdir(this.dir)).filter((n) => /^\d{6}$/.test(n)).sort();
    const count = Math.ceil(bytes / cs);
    for (const n of names) if (Number(n) >= count) await rm(join(this.dir, n), { force: true });
    for (let i = 0; i < count; i++) {
      const path = join(this.dir, chunkName(i));
      const want = Math.min(cs, bytes - i * cs);
      const fh = await open(path, 'r+');
      try {
        const { size } = await fh.stat();
        if (size < want) throw new HoardError('INTERNAL', `resumable upload ${this.uploadId}: chunk ${i} holds ${size} of ${want} bytes`);
        if (size > want) await fh.truncate(want);
        for (let pos = 0; pos < want; ) {
          const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, want - pos));
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          if (bytesRead === 0) throw new HoardError('INTERNAL', `resumable upload ${this.uploadId}: chunk ${i} ended early`);
          pos += bytesRead;
          const got = buf.subarray(0, bytesRead);
          for (let off = 0; off < got.length; ) {
            const n = this.pieceLength(got.length - off);
            this.hashPiece(got.subarray(off, off + n));
            off += n;
          }
        }
      } finally {
        await fh.close();
      }
      if (this.inChunk === cs) this.closeChunk();
    }
    if (this.inChunk > 0) {
      // Appending: O_APPEND keeps writes at the end whatever the file position.
      this.fh = await open(join(this.dir, chunkName(this.chunkIndex)), 'a');
      this.fhIndex = this.chunkIndex;
    }
  }

  async seal(): Promise<BlobManifest> {
    if (this.sealed) return this.sealed;
    if (this.failed) {
      await this.abort();
      throw this.failure;
    }
    if (this.state !== 'open') throw new Error(`seal after ${this.state}`);
    this.state = 'finishing';
    try {
      if (this.inChunk > 0) this.sealChunk();
      await this.settled();
      const { md5, sha256, size } = this.whole.digest();
      const prefixes = this.prefixes.filter((p) => p.offset < size);
      this.sealed = { id: sha256, md5, sha256, size, chunkSize: this.chunkSize, chunks: this.chunks, prefixes };
      return this.sealed;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  async finish(): Promise<FinishResult> {
    const manifest = await this.seal();
    if (this.state !== 'finishing') throw new Error(`finish after ${this.state}`);
    try {
      const result = await this.commit(manifest);
      this.state = 'done';
      return result;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  abort(): Promise<void> {
    this.aborting ??= this.doAbort();
    return this.aborting;
  }

  private async doAbort(): Promise<void> {
    if (this.state === 'done') return;
    this.state = 'aborted';
    if (!this.failed) {
      this.failed = true;
      this.failure = new Error('upload aborted');
    }
    this.pending = [];
    await this.queue;
    if (this.fh) {
      await this.fh.close().catch(() => undefined);
      this.fh = undefined;
    }
    await this.store.rmTree(this.dir);
  }

  private settled(): Promise<void> {
    return this.queue.then(() => {
      if (this.failed) throw this.failure;
    });
  }

  private enqueue(step: () => Promise<void>): void {
    this.queued++;
    this.queue = this.queue
      .then(() => (this.failed ? undefined : step()))
      .catch((err: unknown) => {
        if (!this.failed) {
          this.failed = true;
          this.failure = err;
        }
      })
      .then(() => {
        this.queued--;
      });
  }

  private takePending(): Buffer[] {
    const bufs = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    return bufs;
  }

  private flushPending(): void {
    const index = this.chunkIndex;
    const bufs = this.takePending();
    this.enqueue(() => this.writeBufs(index, bufs));
  }

  private sealChunk(): void {
    const index = this.chunkIndex;
    const bufs = this.takePending();
    this.closeChunk();
    this.enqueue(async () => {
      await this.writeBufs(index, bufs);
      const fh = this.fh!;
      this.store.fsOp('fsync', join(this.dir, chunkName(index)));
      await fh.sync();
      this.fh = undefined;
      await fh.close();
    });
  }

  private async writeBufs(index: number, bufs: Buffer[]): Promise<void> {
    await this.ensureDir();
    if (this.fhIndex !== index || !this.fh) {
      const path = join(this.dir, chunkName(index));
      await this.store.checkRoom(this.chunkSize);
      this.store.fsOp('open', path);
      this.fh = await open(path, 'wx');
      this.fhIndex = index;
    }
    if (bufs.length === 0) return;
    this.store.fsOp('write', join(this.dir, chunkName(index)));
    await writeAll(this.fh, bufs);
  }

  private async commit(manifest: BlobManifest): Promise<FinishResult> {
    const store = this.store;
    await this.ensureDir();
    const manifestPath = join(this.dir, MANIFEST);
    store.fsOp('open', manifestPath);
    const fh = await open(manifestPath, 'wx');
    try {
      store.fsOp('write', manifestPath);
      await writeAll(fh, [Buffer.from(JSON.stringify(manifest))]);
      store.fsOp('fsync', manifestPath);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await store.fsyncDir(this.dir);

    const dest = store.blobDir(manifest.id);
    const parent = dirname(dest);
    if (await store.mkdirOnce(parent)) await store.fsyncDir(store.blobsDir);
    // Two tries: the second one after moving aside a dir that holds no valid manifest.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.renameInto(dest)) return this.published(manifest, dest);
      const existing = await store.readManifest(dest, manifest.id);
      if (existing) {
        if (existing.manifest.md5 !== manifest.md5 || existing.manifest.size !== manifest.size) {
          throw new HoardError('INTERNAL', `Stored blob ${manifest.id} has a different MD5 or size than this upload`);
        }
        await store.rmTree(this.dir);
        return { manifest: existing.manifest, created: false };
      }
      // Debris, not a blob (blob dirs only appear complete): move it out of the way.
      const trash = join(store.tmpDir, 'rm-' + randomBytes(8).toString('hex'));
      store.fsOp('rename', dest);
      const moved = await rename(dest, trash).then(
        () => true,
        (err: unknown) => {
          if (errno(err) !== 'ENOENT') throw err;
          return false;
        },
      );
      if (moved) store.dropped();
      await store.rmTree(trash);
    }
    throw new HoardError('INTERNAL', `Cannot place blob ${manifest.id}`);
  }

  /** After the rename: make it durable, or take the blob back out if that fails. */
  private async published(manifest: BlobManifest, dest: string): Promise<FinishResult> {
    const store = this.store;
    try {
      await store.fsyncDir(dirname(dest));
      const st = await stat(join(dest, MANIFEST));
      store.added({ manifest, mtime: st.mtime });
      return { manifest, created: true };
    } catch (err) {
      const trash = join(store.tmpDir, 'rm-' + randomBytes(8).toString('hex'));
      await rename(dest, trash).then(() => store.rmTree(trash)).catch(() => undefined);
      throw err;
    }
  }

  /** Renames the temp dir to `dest`; false when `dest` already exists. */
  private async renameInto(dest: string): Promise<boolean> {
    try {
      this.store.fsOp('rename', this.dir);
      await rename(this.dir, dest);
      return true;
    } catch (err) {
      const code = errno(err);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw err;
    }
  }
}

async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let rest = bufs;
  while (rest.length > 0) {
    const total = rest.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await fh.writev(rest);
    if (bytesWritten >= total) return;
    // Short write: drop what went out and go again with the remainder.
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      next.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    rest = next;
  }
}
