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
// Reads check every chunk against its SHA-256 before sending any of its
// bytes (ChunkVerifier, with a cache of chunks verified recently): a bad
// chunk fails the read with CHUNK_CORRUPT, before the status line when it is
// the first chunk of the range, else by cutting the connection short of the
// bad chunk; the reader never receives a byte of it.
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, statfs, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { HoardError } from '../common/errors.js';
import type { BlobCheck } from '../common/integrity.js';
import { SHA256_RE, type BlobManifest } from '../common/protocol.js';
import {
  isValidManifest,
  RESUMABLE_KEY_RE,
  type BeginOptions,
  type ChunkStore,
  type ChunkWriter,
  type DiskSpace,
  type QuarantinedCopy,
  type ResumableChunkStore,
  type ResumableWriter,
  type StoredBlob,
} from './chunk-store.js';
import { ChunkVerifier, type CheckOptions } from './chunk-verifier.js';
import { chunkName, errno, MANIFEST } from './chunk-files.js';
import { FileChunkWriter } from './chunk-writer.js';
import { HashPool } from './hash-pool.js';

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
  /** Hashes uploads (default: one pool shared by every store of the process). */
  hashPool?: HashPool;
}

let sharedPool: HashPool | undefined;

const READ_BYTES = 1 << 20;

export { chunkName };

export class FileChunkStore implements ChunkStore, ResumableChunkStore {
  readonly dir: string;
  readonly chunkSize: number;
  readonly blobsDir: string;
  readonly tmpDir: string;
  /** Resumable uploads: not under tmp/, so a restart keeps them. */
  readonly resumableRoot: string;
  readonly quarantineDir: string;
  readonly verifier: ChunkVerifier;
  private readonly onCorrupt?: (id: string, chunks: number[]) => Promise<void>;
  private readonly reserve: number;
  private readonly log?: Logger;
  private readonly onFsOp?: (op: FsOp, path: string) => void;
  private readonly cache: LRUCache<string, StoredBlob>;
  private blobCount = 0;
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
    this.onCorrupt = opts.onCorrupt;
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
  }

  async begin(opts: BeginOptions = {}): Promise<ChunkWriter> {
    const chunkSize = opts.chunkSize ?? this.chunkSize;
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new RangeError('chunkSize must be a positive integer');
    const uploadId = randomBytes(12).toString('hex');
    const dir = join(this.tmpDir, uploadId);
    this.fsOp('mkdir', dir);
    await mkdir(dir);
    return new FileChunkWriter(this, uploadId, dir, chunkSize, this.hashPool);
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
    const dir = this.blobDir(id);
    // The first chunk is checked now, so a bad one is a clean error status rather than a cut connection.
    const first = empty ? -1 : Math.floor(start / blob.manifest.chunkSize);
    if (first >= 0) {
      const fh = await this.openChunk(dir, blob.manifest, first);
      try {
        await this.checkForRead(dir, blob.manifest, first, fh);
      } finally {
        await fh.close();
      }
    }
    return Readable.from(this.readChunks(dir, blob.manifest, start, last, first), {
      objectMode: false,
      highWaterMark: READ_BYTES,
    });
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
    this.blobCount--;
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

  async space(): Promise<DiskSpace> {
    const s = await statfs(this.dir);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  }

  // ---- used by FileChunkWriter ----

  fsOp(op: FsOp, path: string): void {
    this.onFsOp?.(op, path);
  }

  async fsyncDir(path: string): Promise<void> {
    this.fsOp('fsyncDir', path);
    const fh = await open(path, fsc.O_RDONLY | fsc.O_DIRECTORY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
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

  /** Called when a blob dir that open() counted was moved away as debris. */
  dropped(): void {
    this.blobCount--;
  }

  /** Called when a finished upload made a blob visible. */
  added(blob: StoredBlob): void {
    this.blobCount++;
    this.cache.set(blob.manifest.id, blob);
  }

  /** Opens chunk `i`; a chunk file missing from a blob that is still there is a damaged copy. */
  private async openChunk(dir: string, m: BlobManifest, i: number): Promise<FileHandle> {
    try {
      return await open(join(dir, chunkName(i)), 'r');
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw err;
      if (!(await this.readManifest(dir, m.id))) throw new HoardError('BLOB_NOT_FOUND', undefined, { cause: err });
      await this.onCorrupt?.(m.id, [i]);
      throw new HoardError('CHUNK_CORRUPT', `Chunk ${i} of blob ${m.id} is missing`);
    }
  }

  private async checkForRead(dir: string, m: BlobManifest, i: number, fh: FileHandle): Promise<void> {
    const r = await this.verifier.check(join(dir, chunkName(i)), fh, m.chunks[i]!);
    if (r.ok) return;
    this.log?.error({ blob: m.id, chunk: i, why: r.why }, 'chunk failed its check on read; not sent');
    await this.onCorrupt?.(m.id, [i]);
    throw new HoardError('CHUNK_CORRUPT', `Chunk ${i} of blob ${m.id} fails its ${r.why === 'sha256' ? 'SHA-256' : 'size'} check`);
  }

  private async *readChunks(dir: string, m: BlobManifest, start: number, end: number, checked: number): AsyncGenerator<Buffer> {
    const cs = m.chunkSize;
    for (let i = Math.floor(start / cs); i <= Math.floor(end / cs) && i < m.chunks.length; i++) {
      const base = i * cs;
      let pos = Math.max(start, base) - base;
      const stop = Math.min(end, base + m.chunks[i]!.size - 1) - base + 1;
      const fh = await this.openChunk(dir, m, i);
      try {
        // Checked whole before any of its bytes go out (the first one already was, in read()).
        if (i !== checked) await this.checkForRead(dir, m, i, fh);
        while (pos < stop) {
          const want = Math.min(READ_BYTES, stop - pos);
          // A fresh buffer per read: the previous one may still sit in the socket's queue.
          const buf = Buffer.allocUnsafe(want);
          const { bytesRead } = await fh.read(buf, 0, want, pos);
          if (bytesRead === 0) throw new HoardError('INTERNAL', `Chunk ${i} of blob ${m.id} is shorter than its manifest says`);
          pos += bytesRead;
          yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
        }
      } finally {
        await fh.close();
      }
    }
  }
}
