// A byte range of a stored blob, read out of its chunk files.
//
// Every chunk is checked (ChunkSource.openChecked: its SHA-256, or the verifier's
// memory of a recent check) before any of its bytes are read for sending;
// the first chunk of the range already in open(), so a bad or missing one is
// a clean error status rather than a cut connection.
//
// A BlobStream is a plain Readable for any consumer (fresh buffers), and it
// can also send itself into an HTTP response: positioned reads into pooled
// buffers, each back in its pool once the socket has taken it (the write
// callback), the next read only once res.write() has room. A backed-up
// download then holds one buffer, and no per-request pipeline is built.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HoardError } from '../../common/protocol/errors.js';
import type { BlobManifest } from '../../common/protocol/types.js';
import type { BufferPool, LargeReadSlots } from './buffer-pool.js';
import type { FdLease } from './fd-cache.js';

/** The store's side of a read: chunk files and their checks. */
export interface ChunkSource {
  readonly manifest: BlobManifest;
  /**
   * A lease on chunk `i`'s file, the chunk checked. Throws BLOB_NOT_FOUND
   * when the blob is gone, CHUNK_CORRUPT when the chunk is missing or fails
   * its check.
   */
  openChecked(i: number): Promise<FdLease>;
}

export interface ReadBuffers {
  /** Pieces of every response. */
  pool: BufferPool;
  /** Bigger pieces for a few long responses at a time. */
  large?: LargeReadSlots;
}

/**
 * What paces a response (a download's rate cap and the node's uplink share):
 * bytes leave in slices of `slice`, each once take() resolves. Without one,
 * a response takes the unpaced path below, untouched.
 */
export interface SendGate {
  readonly slice: number;
  take(n: number): Promise<void>;
  /** Told the bytes of each slice handed to the socket. */
  sent?(n: number): void;
}

/** Bytes per Readable read (consumers other than an HTTP response). */
const STREAM_PIECE = 1 << 20;

export class BlobStream extends Readable {
  private pos: number;
  /** The chunk being read, checked, with its descriptor held. */
  private current: { index: number; file: FdLease } | undefined;
  private sending = false;
  private reading: Promise<number> | undefined;

  /** Bytes `start..end` (inclusive) of the blob; call open() before reading. */
  constructor(
    private readonly src: ChunkSource,
    private readonly buffers: ReadBuffers,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: STREAM_PIECE });
    this.pos = start;
  }

  /** Opens and checks the first chunk of the range: its failures come before any byte. */
  async open(): Promise<this> {
    if (this.pos <= this.end) await this.enter(Math.floor(this.pos / this.src.manifest.chunkSize));
    return this;
  }

  override _read(): void {
    if (this.pos > this.end) {
      this.push(null);
      return;
    }
    // A fresh buffer: a Readable's consumer may keep what it is given.
    const buf = Buffer.allocUnsafe(Math.min(STREAM_PIECE, this.end - this.pos + 1));
    this.readInto(buf).then(
      (n) => this.push(n === buf.length ? buf : buf.subarray(0, n)),
      (err: unknown) => this.destroy(err as Error),
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // A read still running keeps its descriptor until it settles: a closed fd number may be reused at once.
    const reading = this.reading;
    if (!reading) {
      this.leave();
      cb(err);
      return;
    }
    void reading.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      this.leave();
      cb(err);
    });
  }

  /**
   * Writes the range into `out` and ends it. Resolves once the last byte is
   * handed to `out`; rejects with the read's error (the caller cuts the
   * connection: the bytes sent stop short of a bad chunk), or with
   * ERR_STREAM_PREMATURE_CLOSE when `out` closes first. Not to be mixed
   * with reading the stream as a Readable.
   */
  async sendTo(out: Writable, gate?: SendGate): Promise<void> {
    if (this.sending) throw new Error('BlobStream.sendTo called twice');
    this.sending = true;
    if (gate) return this.sendPaced(out, gate);
    if (this.fitsOnePiece()) return this.sendOnePiece(out);
    const { large } = this.buffers;
    const big = large !== undefined && this.end - this.pos + 1 >= 2 * large.pool.bufferSize && large.claim();
    const pool = big ? large.pool : this.buffers.pool;
    const w = new OutWatch(out);
    let next: Promise<{ buf: Buffer; n: number }> | undefined;
    try {
      next = this.readPooled(pool);
      while (next) {
        const piece = next;
        next = undefined;
        const { buf, n } = await piece;
        if (w.gone()) {
          pool.give(buf);
          throw w.stopped();
        }
        // The socket owns `buf` until this callback; only then may the pool hand it out again.
        const room = out.write(n === buf.length ? buf : buf.subarray(0, n), () => pool.give(buf));
        // A long download reads its next piece while the socket drains (two buffers); the others
        // read on once the socket took this one (one buffer each), the kernel's socket buffer
        // keeping the wire busy meanwhile.
        if (big || room) next = this.readPooled(pool);
        if (!room) await w.drained();
        next ??= this.readPooled(pool);
      }
      if (w.gone()) throw w.stopped();
      out.end();
    } finally {
      // A piece read ahead and not sent: its buffer goes back once the read settles.
      next?.then(
        ({ buf }) => pool.give(buf),
        () => undefined,
      );
      w.dispose();
      if (big) large.release();
      this.destroy();
    }
  }

  /**
   * The paced path: pooled pieces written in slices, each once the gate
   * lets it go and the socket has room, the next piece read meanwhile. Two
   * buffers per response.
   */
  private async sendPaced(out: Writable, gate: SendGate): Promise<void> {
    const pool = this.buffers.pool;
    const w = new OutWatch(out);
    let next: Promise<{ buf: Buffer; n: number }> | undefined;
    try {
      next = this.readPooled(pool);
      while (next) {
        const { buf, n } = await next;
        // The next piece is read while this one's slices wait their turn: a paced download never waits on the disk.
        next = this.readPooled(pool);
        for (let at = 0; at < n; ) {
          const len = Math.min(gate.slice, n - at);
          await gate.take(len);
          if (w.gone()) {
            pool.give(buf);
            throw w.stopped();
          }
          const last = at + len >= n;
          // The buffer goes back once the socket took its last slice (writes complete in order).
          const room = out.write(buf.subarray(at, at + len), last ? () => pool.give(buf) : undefined);
          gate.sent?.(len);
          at += len;
          if (!room) await w.drained();
        }
      }
      if (w.gone()) throw w.stopped();
      out.end();
    } finally {
      next?.then(
        ({ buf }) => pool.give(buf),
        () => undefined,
      );
      w.dispose();
      this.destroy();
    }
  }

  /** The whole range is in the chunk open() checked, and one pooled buffer holds it. */
  private fitsOnePiece(): boolean {
    const cur = this.current;
    if (!cur) return false;
    const m = this.src.manifest;
    const chunkStart = cur.index * m.chunkSize;
    const chunk = m.chunks[cur.index];
    return chunk !== undefined && this.pos >= chunkStart && this.end < chunkStart + chunk.size && this.end - this.pos + 1 <= this.buffers.pool.bufferSize;
  }

  /**
   * A short range (a typical ranged GET): one positioned read, one end() with
   * the bytes, no listeners or waits. The buffer goes back to the pool once
   * the response finished, i.e. the socket took its last byte; a response
   * cut before that leaves its buffer to the garbage collector.
   */
  private async sendOnePiece(out: Writable): Promise<void> {
    const pool = this.buffers.pool;
    const buf = pool.take();
    let n: number;
    try {
      n = await this.readInto(buf);
    } catch (err) {
      pool.give(buf);
      this.destroy();
      throw err;
    }
    this.destroy();
    if (out.destroyed) {
      pool.give(buf);
      throw Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    }
    out.once('finish', () => pool.give(buf));
    out.end(n === buf.length ? buf : buf.subarray(0, n));
  }

  /** The next piece of the range in a pooled buffer; undefined at the end. */
  private readPooled(pool: BufferPool): Promise<{ buf: Buffer; n: number }> | undefined {
    if (this.pos > this.end) return undefined;
    const buf = pool.take();
    const piece = this.readInto(buf).then(
      (n) => ({ buf, n }),
      (err: unknown) => {
        pool.give(buf);
        throw err;
      },
    );
    // Read ahead, it may fail before it is awaited: the await still sees the error.
    piece.catch(() => undefined);
    return piece;
  }

  /** Makes chunk `index` current: its descriptor leased and the chunk checked. */
  private async enter(index: number): Promise<void> {
    this.leave();
    const file = await this.src.openChecked(index);
    if (this.destroyed) {
      file.release();
      throw new Error('read after destroy');
    }
    this.current = { index, file };
  }

  private leave(): void {
    this.current?.file.release();
    this.current = undefined;
  }

  /** Reads the next bytes of the range into `buf` (at most its length, within one chunk) and moves on. */
  private readInto(buf: Buffer): Promise<number> {
    const r = this.readPiece(buf);
    this.reading = r;
    void r.then(
      () => {
        if (this.reading === r) this.reading = undefined;
      },
      () => {
        if (this.reading === r) this.reading = undefined;
      },
    );
    return r;
  }

  private async readPiece(buf: Buffer): Promise<number> {
    const m = this.src.manifest;
    const index = Math.floor(this.pos / m.chunkSize);
    const chunk = m.chunks[index];
    if (!chunk) throw new HoardError('INTERNAL', `Blob ${m.id} has no chunk ${index}`);
    if (this.current?.index !== index) await this.enter(index);
    const file = this.current!.file;
    const inChunk = this.pos - index * m.chunkSize;
    const want = Math.min(buf.length, this.end - this.pos + 1, chunk.size - inChunk);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await file.read(buf, got, want - got, inChunk + got);
      if (bytesRead === 0) throw new HoardError('INTERNAL', `Chunk ${index} of blob ${m.id} is shorter than its manifest says`);
      got += bytesRead;
    }
    this.pos += got;
    return got;
  }
}

/** Sends a body into `out`: a BlobStream by its pooled path (paced by `gate` when given), anything else through stream.pipeline. */
export async function sendBody(body: Readable, out: Writable, gate?: SendGate): Promise<void> {
  if (body instanceof BlobStream) return body.sendTo(out, gate);
  await pipeline(body, out);
}

/**
 * Watches a response while a blob is written into it: whether it closed or
 * failed (and with what), and a wait for room after a write it refused.
 */
class OutWatch {
  private closed = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly onDrain = (): void => this.wake?.();
  private readonly onClose = (): void => {
    this.closed = true;
    this.wake?.();
  };
  private readonly onError = (err: Error): void => {
    this.failure ??= err;
    this.onClose();
  };

  constructor(private readonly out: Writable) {
    out.on('drain', this.onDrain);
    out.on('close', this.onClose);
    out.on('error', this.onError);
  }

  gone(): boolean {
    return this.closed || this.out.destroyed;
  }

  /** Why the response went: its error, or a premature close. */
  stopped(): Error {
    return this.failure ?? Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  }

  /** Until the response drains or goes (at once when it is gone already). */
  async drained(): Promise<void> {
    if (this.gone()) return;
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
  }

  dispose(): void {
    this.out.off('drain', this.onDrain);
    this.out.off('close', this.onClose);
    this.out.off('error', this.onError);
  }
}
