// The upload writer of the file store: splits a body into chunk files under
// the upload's own dir and publishes it with one rename into blobs/
// (file-chunk-store.ts describes the layout). It reaches the store only
// through WriterDisk (writer-disk.ts).
//
// Hashing (MD5 and SHA-256 of the whole body, SHA-256 of each chunk, prefix
// digests at the checkpoints of common/prefix.ts) goes through a HashPool:
// inline for small bodies, on two threads past 1 MiB. Disk work runs on a
// queue, one step at a time, in body order; a chunk's fsync starts when its
// last bytes are written and runs while the next chunk comes in. write()
// waits for the fsync before last, seal() for every one, so the manifest is
// only ever written after each chunk is durable.
import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HoardError } from '../../common/protocol/errors.js';
import { nextCheckpointAfter, type PrefixHash } from '../../common/protocol/prefix.js';
import type { BlobManifest } from '../../common/protocol/types.js';
import { stampOf, type PublishResult, type ResumableWriter } from './chunk-store.js';
import { chunkName, MANIFEST, writeAll } from './chunk-files.js';
import type { WriterDisk } from './writer-disk.js';
import type { BodyHasher } from '../hashing/hash-pool.js';
import type { HasherSource } from '../hashing/chunk-hasher.js';
import { manifestDifference } from './manifest-match.js';

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

type WriterState = 'open' | 'sealing' | 'published' | 'aborted';

export class FileChunkWriter implements ResumableWriter {
  private readonly hasher: BodyHasher;
  private nextCp = nextCheckpointAfter(0);
  readonly prefixes: PrefixHash[] = [];
  private taken = 0;
  private inChunk = 0;
  private chunkIndex = 0;
  /** Sizes of the chunks ended so far; their SHA-256 come with the body's digest. */
  private readonly chunkSizes: number[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private fh: FileHandle | undefined;
  private fhIndex = -1;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Chunk fsyncs started and not yet done, by chunk index. */
  private readonly syncs = new Map<number, Promise<void>>();
  private failure: unknown;
  private failed = false;
  private state: WriterState = 'open';
  private aborting: Promise<void> | undefined;
  private sealed: BlobManifest | undefined;
  private readonly flushBytes: number;
  /** Resumable writers: a write that passes a checkpoint waits for its digests (early stop reads them between writes). */
  private readonly prefixesNow: boolean;

  constructor(
    private readonly store: WriterDisk,
    readonly uploadId: string,
    private readonly dir: string,
    readonly chunkSize: number,
    /** A HashPool (identity, chunks and prefixes), or chunk digests only (a pipeline follower's copy, published with publishAs). */
    pool: HasherSource,
    /** A resumable writer: the dir's own entry needs an fsync of its parent at the first flush. */
    private syncParent = false,
    /** The dir does not exist yet: the first disk step makes it. */
    private makeDir = false,
  ) {
    this.flushBytes = syncParent ? RESUMABLE_FLUSH_BYTES : FLUSH_BYTES;
    this.prefixesNow = syncParent;
    this.hasher = pool.begin((p) => this.prefixes.push(p));
  }

  private async ensureDir(): Promise<void> {
    if (!this.makeDir) return;
    this.store.fsOp('mkdir', this.dir);
    await mkdir(this.dir, { recursive: true });
    this.makeDir = false;
  }

  get bytes(): number {
    return this.taken;
  }

  write(buf: Buffer): Promise<void> | undefined {
    if (this.failed) return Promise.reject(this.failure);
    if (this.state !== 'open') return Promise.reject(new Error(`write after ${this.state}`));
    let sealed = -1;
    let full = false;
    let prefix = false;
    let off = 0;
    while (off < buf.length) {
      const n = this.pieceLength(buf.length - off);
      const part = n === buf.length ? buf : buf.subarray(off, off + n);
      const h = this.hashPiece(part);
      full ||= h.full;
      prefix ||= h.prefix;
      this.pending.push(part);
      this.pendingBytes += n;
      off += n;
      if (h.ended) {
        sealed = this.chunkIndex - 1;
        this.sealChunk();
      } else if (this.pendingBytes >= this.flushBytes || this.pending.length >= MAX_IOV) {
        this.flushPending();
      }
    }
    const waits: Promise<void>[] = [];
    // The fsync of the chunk before the one just ended must be done: at most two run at once.
    const before = sealed > 0 ? this.syncs.get(sealed - 1) : undefined;
    if (before) waits.push(before);
    // Let one disk write run while the next batch fills.
    if (this.queued > 1) waits.push(this.queue);
    if (full) waits.push(this.hasher.room());
    // A checkpoint passed: its digests are in `prefixes` before the caller looks again.
    // A plain upload needs them only in its manifest, so it does not stall the pipeline for them.
    if (prefix && this.prefixesNow) waits.push(this.hasher.prefixes());
    if (waits.length === 0) return undefined;
    return Promise.all(waits).then(
      () => {
        if (this.failed) throw this.failure;
      },
      (err: unknown) => {
        // A hashing failure ends the writer as a disk failure would: a resumable upload goes back to its last durable offset.
        this.fail(err);
        throw this.failure;
      },
    );
  }

  /** Bytes that fit before the next chunk boundary or prefix checkpoint. */
  private pieceLength(left: number): number {
    return Math.min(left, this.chunkSize - this.inChunk, this.nextCp - this.taken);
  }

  /** Feeds a piece (never crossing a chunk boundary or checkpoint) to the hashes. */
  private hashPiece(part: Buffer): { full: boolean; prefix: boolean; ended: boolean } {
    const full = this.hasher.update(part);
    this.taken += part.length;
    this.inChunk += part.length;
    let prefix = false;
    const ended = this.inChunk === this.chunkSize;
    if (ended) this.closeChunk();
    if (this.taken === this.nextCp) {
      const p = this.hasher.checkpoint();
      if (p) this.prefixes.push(p);
      else prefix = true;
      this.nextCp = nextCheckpointAfter(this.nextCp);
    }
    return { full, prefix, ended };
  }

  /** Ends the current chunk's record (its file is written by the caller). */
  private closeChunk(): void {
    this.hasher.endChunk();
    this.chunkSizes.push(this.inChunk);
    this.chunkIndex++;
    this.inChunk = 0;
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
    await this.stopWork();
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
          // A fresh buffer per read: the hasher may keep it by reference.
          const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, want - pos));
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          if (bytesRead === 0) throw new HoardError('INTERNAL', `resumable upload ${this.uploadId}: chunk ${i} ended early`);
          pos += bytesRead;
          const got = buf.subarray(0, bytesRead);
          let full = false;
          for (let off = 0; off < got.length; ) {
            const n = this.pieceLength(got.length - off);
            full = this.hashPiece(got.subarray(off, off + n)).full || full;
            off += n;
          }
          if (full) await this.hasher.room();
        }
      } finally {
        await fh.close();
      }
    }
    // The checkpoints passed so far are compared by the next request's early stop.
    await this.hasher.prefixes();
    if (this.inChunk > 0) {
      // Appending: O_APPEND keeps writes at the end whatever the file position.
      this.fh = await open(join(this.dir, chunkName(this.chunkIndex)), 'a');
      this.fhIndex = this.chunkIndex;
    }
  }

  async seal(): Promise<BlobManifest> {
    if (this.sealed) return this.sealed;
    const body = await this.sealBody();
    try {
      if (body.md5 === '') throw new HoardError('INTERNAL', 'a writer hashing chunks only has no identity of its own: publish it with publishAs');
      const { md5, sha256, size } = body;
      const prefixes = this.prefixes.filter((p) => p.offset < size);
      this.sealed = { id: sha256, md5, sha256, size, chunkSize: this.chunkSize, chunks: body.chunks, prefixes, created: stampOf(Date.now()) };
      return this.sealed;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Ends the body: every chunk written (fsyncs may still run) and its digest known. On failure nothing is kept. */
  private async sealBody(): Promise<{ md5: string; sha256: string; size: number; chunks: BlobManifest['chunks'] }> {
    if (this.failed) {
      await this.abort();
      throw this.failure;
    }
    if (this.state !== 'open') throw new Error(`seal after ${this.state}`);
    this.state = 'sealing';
    try {
      if (this.inChunk > 0) {
        this.closeChunk();
        this.sealChunk();
      }
      const digest = this.hasher.digest();
      // Held off until the bytes are written too: a hashing failure must not be left unhandled meanwhile.
      digest.catch(() => undefined);
      // Written, not yet durable: the last chunk's fsync overlaps the manifest's (publish waits for both).
      await this.written();
      const { md5, sha256, size, chunks } = await digest;
      if (chunks.length !== this.chunkSizes.length) throw new HoardError('INTERNAL', `${chunks.length} chunk digests for ${this.chunkSizes.length} chunks`);
      return { md5, sha256, size, chunks: this.chunkSizes.map((s, i) => ({ size: s, sha256: chunks[i]! })) };
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /**
   * Ends the body and publishes it as `want` when its size and every
   * chunk's size and SHA-256 as written match the manifest (byte for byte
   * the same content); else REPLICA_MISMATCH and nothing is kept.
   */
  async publishAs(want: BlobManifest): Promise<PublishResult> {
    const body = await this.sealBody();
    // A writer hashing the whole body (a copy fetched from another node) checks the identity too.
    const identity = body.md5 === '' ? {} : { md5: body.md5, sha256: body.sha256 };
    const got: BlobManifest = { ...want, ...identity, size: body.size, chunkSize: this.chunkSize, chunks: body.chunks };
    const diff = manifestDifference(got, want);
    if (diff) {
      await this.abort();
      throw new HoardError('REPLICA_MISMATCH', `the streamed copy of ${want.id} does not match its manifest: ${diff}`);
    }
    // The copy keeps the blob's creation time (the first copy's), or starts it when the manifest has none.
    this.sealed = want.created === undefined ? { ...want, created: stampOf(Date.now()) } : want;
    return this.publish();
  }

  /**
   * The bytes taken so far from `from` on, read back from the chunk files
   * (pending bytes are written first; nothing may be written meanwhile): a
   * new follower of the write pipeline catches up from them.
   */
  async *readBack(from: number): AsyncGenerator<Buffer> {
    if (this.failed) throw this.failure;
    if (this.state === 'published' || this.state === 'aborted') throw new Error(`readBack after ${this.state}`);
    if (this.state === 'open' && this.pending.length > 0) this.flushPending();
    await this.written();
    const end = this.taken;
    const cs = this.chunkSize;
    for (let pos = from; pos < end; ) {
      const i = Math.floor(pos / cs);
      const stop = Math.min(end, (i + 1) * cs);
      const fh = await open(join(this.dir, chunkName(i)), 'r');
      try {
        while (pos < stop) {
          const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, stop - pos));
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos - i * cs);
          if (bytesRead === 0) throw new HoardError('INTERNAL', `upload ${this.uploadId}: chunk ${i} ends before byte ${pos}`);
          pos += bytesRead;
          yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
        }
      } finally {
        await fh.close();
      }
    }
  }

  async publish(): Promise<PublishResult> {
    const manifest = await this.seal();
    if (this.state !== 'sealing') throw new Error(`publish after ${this.state}`);
    try {
      const result = await this.publishSealed(manifest);
      this.state = 'published';
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
    if (this.state === 'published') return;
    this.state = 'aborted';
    if (!this.failed) {
      this.failed = true;
      this.failure = new Error('upload aborted');
    }
    await this.stopWork();
    await this.store.rmTree(this.dir);
  }

  /** Drops pending bytes, stops hashing, lets queued steps end and closes the open chunk. */
  private async stopWork(): Promise<void> {
    this.pending = [];
    this.hasher.abort();
    await this.drained();
    if (this.fh) {
      await this.fh.close().catch(() => undefined);
      this.fh = undefined;
    }
  }

  /** Every queued step and every chunk fsync done, whatever their outcome. */
  private async drained(): Promise<void> {
    await this.queue;
    while (this.syncs.size > 0) await Promise.all(this.syncs.values());
  }

  /** Every queued write done (chunk fsyncs may still run). */
  private async written(): Promise<void> {
    await this.queue;
    if (this.failed) throw this.failure;
  }

  private settled(): Promise<void> {
    return this.drained().then(() => {
      if (this.failed) throw this.failure;
    });
  }

  private fail(err: unknown): void {
    if (!this.failed) {
      this.failed = true;
      this.failure = err;
    }
  }

  private enqueue(step: () => Promise<void>): void {
    this.queued++;
    this.queue = this.queue
      .then(() => (this.failed ? undefined : step()))
      .catch((err: unknown) => this.fail(err))
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

  /** Queues the last bytes of chunk `chunkIndex - 1` (already closed); its fsync then runs off the queue. */
  private sealChunk(): void {
    const index = this.chunkIndex - 1;
    const bufs = this.takePending();
    let release!: () => void;
    // Registered now, so a write() that ends the next chunk finds it before the queue reaches this step.
    this.syncs.set(index, new Promise<void>((resolve) => (release = resolve)));
    const done = () => {
      this.syncs.delete(index);
      release();
    };
    let syncing = false;
    this.queued++;
    this.queue = this.queue
      .then(async () => {
        if (this.failed) return;
        await this.writeBufs(index, bufs);
        this.store.fsOp('fsync', join(this.dir, chunkName(index)));
        const fh = this.fh!;
        this.fh = undefined;
        syncing = true;
        // Not awaited here: the next chunk's writes go on while this one reaches the disk.
        void fh
          .sync()
          .catch((err: unknown) => this.fail(err))
          .finally(() => fh.close().catch(() => undefined))
          .then(done);
      })
      .catch((err: unknown) => this.fail(err))
      .then(() => {
        this.queued--;
        if (!syncing) done();
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

  /** Writes the manifest, makes the folder durable as a whole, then has the store move it into blobs/. */
  private async publishSealed(manifest: BlobManifest): Promise<PublishResult> {
    const store = this.store;
    await this.ensureDir();
    const manifestPath = join(this.dir, MANIFEST);
    store.fsOp('open', manifestPath);
    const fh = await open(manifestPath, 'wx');
    try {
      store.fsOp('write', manifestPath);
      await writeAll(fh, [Buffer.from(JSON.stringify(manifest))]);
      store.fsOp('fsync', manifestPath);
      // One wait instead of three in a row (for a small blob each is a disk flush):
      // the manifest, the chunks still syncing and the folder's entries (all
      // created by now) become durable together, and only then is it renamed.
      const synced = await Promise.allSettled([fh.sync(), this.settled(), store.fsyncDir(this.dir)]);
      for (const r of synced) if (r.status === 'rejected') throw r.reason;
    } finally {
      await fh.close();
    }
    return store.placeBlob(this.dir, manifest);
  }
}
