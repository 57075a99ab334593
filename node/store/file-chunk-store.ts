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
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, statfs, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { HoardError } from '../../common/protocol/errors.js';
import type { BlobCheck } from '../../common/protocol/integrity.js';
import { SHA256_RE } from '../../common/protocol/ids.js';
import type { BlobManifest } from '../../common/protocol/types.js';
import {
  createdOf,
  isValidManifest,
  RESUMABLE_KEY_RE,
  type BeginOptions,
  type ChunkStore,
  type ChunkWriter,
  type DiskSpace,
  type PublishResult,
  type QuarantinedCopy,
  type ResumableChunkStore,
  type ResumableWriter,
  type StoredBlob,
} from './chunk-store.js';
import { ChunkVerifier, type CheckOptions } from './chunk-verifier.js';
import { chunkName, errno, MANIFEST, writeAll } from './chunk-files.js';
import { FileChunkWriter } from './chunk-writer.js';
import { HashPool } from '../hashing/hash-pool.js';
import { chunkHashing } from '../hashing/chunk-hasher.js';
import { DirSync } from './dir-sync.js';
import { FileChunkReads } from './file-chunk-reads.js';
import type { FsOp, WriterDisk } from './writer-disk.js';

export type { FsOp };

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
  /** Hashes uploads (default: one pool shared by every store of the process). */
  hashPool?: HashPool;
}

let sharedPool: HashPool | undefined;

/** The largest readSample (a proof range is at most 1 MiB). */
const SAMPLE_MAX = 1 << 20;

export { chunkName };

export class FileChunkStore implements ChunkStore, ResumableChunkStore, WriterDisk {
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
  private readonly hashPool: HashPool;

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
    this.hashPool = opts.hashPool ?? (sharedPool ??= new HashPool());
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
    return new FileChunkWriter(this, uploadId, dir, chunkSize, opts.hashing === 'chunks' ? chunkHashing : this.hashPool);
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
    return new FileChunkWriter(this, key, dir, this.chunkSize, this.hashPool, true, true);
  }

  async resumeResumable(key: string, bytes: number): Promise<ResumableWriter> {
    const dir = this.resumableDir(key);
    await mkdir(dir, { recursive: true });
    const w = new FileChunkWriter(this, key, dir, this.chunkSize, this.hashPool, true);
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

  async restamp(id: string, created: string): Promise<boolean> {
    const blob = await this.get(id);
    if (!blob) return false;
    if (blob.manifest.created === created) return true;
    const manifest: BlobManifest = { ...blob.manifest, created };
    const dir = this.blobDir(id);
    // Written beside tmp/ and renamed over the old one: a crash leaves one whole manifest or the other.
    const tmp = join(this.tmpDir, 'manifest-' + randomBytes(8).toString('hex'));
    this.fsOp('open', tmp);
    const fh = await open(tmp, 'wx');
    try {
      this.fsOp('write', tmp);
      await writeAll(fh, [Buffer.from(JSON.stringify(manifest))]);
      this.fsOp('fsync', tmp);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      this.fsOp('rename', tmp);
      await rename(tmp, join(dir, MANIFEST));
    } catch (err) {
      await this.rmTree(tmp);
      if (errno(err) === 'ENOENT') return false;
      throw err;
    }
    await this.fsyncDir(dir);
    this.cache.set(id, { manifest, mtime: blob.mtime, created: createdOf(manifest, blob.mtime) });
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

  // ---- what FileChunkWriter asks of the store (WriterDisk) ----

  fsOp(op: FsOp, path: string): void {
    this.onFsOp?.(op, path);
  }

  /** Concurrent uploads renaming into one folder share its fsync (node/dir-sync.ts). */
  async fsyncDir(path: string): Promise<void> {
    this.fsOp('fsyncDir', path);
    await this.dirSync.sync(path);
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

  async placeBlob(dir: string, manifest: BlobManifest): Promise<PublishResult> {
    const dest = this.blobDir(manifest.id);
    const parent = dirname(dest);
    if (await this.mkdirOnce(parent)) await this.fsyncDir(this.blobsDir);
    // Two tries: the second one after moving aside a dir that holds no valid manifest.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.renameInto(dir, dest)) return this.placed(manifest, dest);
      const existing = await this.readManifest(dest, manifest.id);
      if (existing) {
        if (existing.manifest.md5 !== manifest.md5 || existing.manifest.size !== manifest.size) {
          throw new HoardError('INTERNAL', `Stored blob ${manifest.id} has a different MD5 or size than this upload`);
        }
        await this.rmTree(dir);
        return { manifest: existing.manifest, created: false };
      }
      // Debris, not a blob (blob dirs only appear complete): move it out of the way.
      const trash = join(this.tmpDir, 'rm-' + randomBytes(8).toString('hex'));
      this.fsOp('rename', dest);
      const moved = await rename(dest, trash).then(
        () => true,
        (err: unknown) => {
          if (errno(err) !== 'ENOENT') throw err;
          return false;
        },
      );
      if (moved) this.dropped();
      await this.rmTree(trash);
    }
    throw new HoardError('INTERNAL', `Cannot place blob ${manifest.id}`);
  }

  /** After the rename: make it durable, or take the blob back out if that fails. */
  private async placed(manifest: BlobManifest, dest: string): Promise<PublishResult> {
    try {
      await this.fsyncDir(dirname(dest));
      const st = await stat(join(dest, MANIFEST));
      this.added({ manifest, mtime: st.mtime, created: createdOf(manifest, st.mtime) });
      return { manifest, created: true };
    } catch (err) {
      const trash = join(this.tmpDir, 'rm-' + randomBytes(8).toString('hex'));
      await rename(dest, trash).then(() => this.rmTree(trash)).catch(() => undefined);
      throw err;
    }
  }

  /** Renames an upload's dir to `dest`; false when `dest` already exists. */
  private async renameInto(dir: string, dest: string): Promise<boolean> {
    try {
      this.fsOp('rename', dir);
      await rename(dir, dest);
      return true;
    } catch (err) {
      const code = errno(err);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw err;
    }
  }

  // ---- internal ----

  /** mkdir that reports whether it created the dir. */
  private async mkdirOnce(path: string): Promise<boolean> {
    try {
      this.fsOp('mkdir', path);
      await mkdir(path);
      return true;
    } catch (err) {
      if (errno(err) === 'EEXIST') return false;
      throw err;
    }
  }

  private async readManifest(dir: string, id?: string): Promise<StoredBlob | undefined> {
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
      return { manifest: m, mtime: st.mtime, created: createdOf(m, st.mtime) };
    } finally {
      await fh.close();
    }
  }

  /** Called when a blob dir left blobs/ (removed, quarantined, or debris). */
  private dropped(): void {
    // A folder copied into blobs/ by hand while the node runs was never counted:
    // removing it must not take the count (sent in heartbeats) below zero.
    this.blobCount = Math.max(0, this.blobCount - 1);
  }

  /** Called when a published upload made a blob visible. */
  private added(blob: StoredBlob): void {
    this.blobCount++;
    this.cache.set(blob.manifest.id, blob);
    // Descriptors left from an earlier copy under the same path are not this copy's files.
    this.reads.forgetDir(this.blobDir(blob.manifest.id));
  }
}
