// An upload's identity (MD5 and SHA-256 of the whole body), its chunks'
// SHA-256 and its prefix digests, computed off the main thread.
//
// MD5 cannot be split and runs at ~610-715 MB/s on one core here; with it and
// both SHA-256 passes on the main thread an upload topped out near 160 MiB/s.
// Here the main thread only copies each piece of the body into a slot of a
// SharedArrayBuffer; one thread hashes MD5 and another the two SHA-256 from
// the same slot, and the slot goes back to the pool once both are done. An
// upload may hold `perUpload` slots at once and the pool has `slots` in all,
// so memory is fixed whatever the size or number of uploads; an upload out of
// slots keeps its pieces by reference and update() tells the caller to wait
// on room() (the request is paused).
//
// The first `inlineBelow` bytes are hashed on the calling thread as they come
// (and kept by reference): a small body never pays a round trip to the
// threads, and the first prefix checkpoint (at 1 MiB) is known at once, so a
// duplicate stopped there never starts them. A body that grows past it is
// handed to the threads from its first byte.
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { PrefixHash } from '../../common/protocol/prefix.js';
import { hashWorkerMain, type FromWorker, type HashRole, type HashWorkerData, type Mark, type ToWorker } from './hash-worker.js';

export interface BodyDigest {
  md5: string;
  sha256: string;
  size: number;
  /** SHA-256 of each chunk, one per endChunk(), in order. */
  chunks: string[];
}

export interface HashPoolOptions {
  /** Bytes per slot (default 1 MiB). */
  slotSize?: number;
  /** Slots shared by every upload (default 8). */
  slots?: number;
  /** Slots one upload may hold before it waits (default 4). */
  perUpload?: number;
  /** Bodies up to this size are hashed on the calling thread (default 1 MiB). */
  inlineBelow?: number;
  /** False: everything on the calling thread (default true). */
  threads?: boolean;
  /** The threads and slots go after this long without a threaded upload (default 5 s). */
  idleMs?: number;
}

/** The hashing of one body; bytes come in body order. */
export interface BodyHasher {
  /** Bytes taken so far. */
  readonly size: number;
  /**
   * Takes the next bytes, kept by reference until copied (the caller must not
   * reuse `buf`). True: await room() before giving more.
   */
  update(buf: Buffer): boolean;
  /** Resolves once every byte given has been copied out; rejects when hashing failed. */
  room(): Promise<void>;
  /** The bytes so far end a chunk. */
  endChunk(): void;
  /** Asks for the digests of the bytes so far: returned at once, or later through `onPrefix` (then await prefixes()). */
  checkpoint(): PrefixHash | undefined;
  /** Resolves once every checkpoint asked for has been reported. */
  prefixes(): Promise<void>;
  /** After the last update(): the digests. */
  digest(): Promise<BodyDigest>;
  /** Drops the body; pending promises reject. Idempotent. */
  abort(): void;
}

const MiB = 1024 * 1024;

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

const settle = (ws: Waiter[], err?: Error): void => {
  for (const w of ws) {
    if (err) w.reject(err);
    else w.resolve();
  }
};

/** MD5, whole SHA-256 and chunk SHA-256 on the calling thread. */
class InlineHashes {
  readonly md5: Hash = createHash('md5');
  readonly sha256: Hash = createHash('sha256');
  chunk: Hash = createHash('sha256');
  readonly chunks: string[] = [];

  update(buf: Buffer): void {
    this.md5.update(buf);
    this.sha256.update(buf);
    this.chunk.update(buf);
  }

  endChunk(): void {
    this.chunks.push(this.chunk.digest('hex'));
    this.chunk = createHash('sha256');
  }

  peek(offset: number): PrefixHash {
    // Hash.copy() snapshots the running state: a prefix costs no second pass.
    return { offset, md5: this.md5.copy().digest('hex'), sha256: this.sha256.copy().digest('hex') };
  }
}

interface Threads {
  md5: Worker;
  sha256: Worker;
}

/** Shared slots and hashing threads for every upload of a process. */
export class HashPool {
  readonly slotSize: number;
  readonly slotCount: number;
  readonly perUpload: number;
  readonly inlineBelow: number;
  readonly threaded: boolean;
  private readonly idleMs: number;
  private sab: SharedArrayBuffer | undefined;
  private free: number[] = [];
  /** Threads still reading each slot. */
  private readonly readers: Uint8Array;
  private readonly owner: Array<ThreadedBody | undefined>;
  private threads: Threads | undefined;
  private readonly jobs = new Map<number, ThreadedBody>();
  private readonly waiting = new Set<ThreadedBody>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(opts: HashPoolOptions = {}) {
    this.slotSize = opts.slotSize ?? MiB;
    this.slotCount = opts.slots ?? 8;
    this.perUpload = Math.min(opts.perUpload ?? 4, this.slotCount);
    this.inlineBelow = opts.inlineBelow ?? MiB;
    this.threaded = opts.threads ?? true;
    this.idleMs = opts.idleMs ?? 5_000;
    if (!(this.slotSize > 0 && this.slotCount > 0 && this.perUpload > 0)) throw new RangeError('slotSize, slots and perUpload must be positive');
    this.readers = new Uint8Array(this.slotCount);
    this.owner = new Array<ThreadedBody | undefined>(this.slotCount);
  }

  begin(onPrefix: (p: PrefixHash) => void): BodyHasher {
    return new Body(this, onPrefix);
  }

  /** Stops the threads (threaded uploads in flight fail); a later upload starts them again. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const t = this.threads;
    this.reset(new Error('hash pool closed'));
    if (t) await Promise.all([t.md5.terminate(), t.sha256.terminate()]);
  }

  /** Slots neither being filled nor hashed (for tests). */
  get freeSlots(): number {
    return this.sab ? this.free.length : this.slotCount;
  }

  /** Whether the threads are running (for tests). */
  get running(): boolean {
    return this.threads !== undefined;
  }

  // ---- used by ThreadedBody ----

  register(job: ThreadedBody): number {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.start();
    const id = this.nextId++;
    this.jobs.set(id, job);
    return id;
  }

  view(slot: number): Buffer {
    return Buffer.from(this.sab!, slot * this.slotSize, this.slotSize);
  }

  takeSlot(job: ThreadedBody): number | undefined {
    const slot = this.free.pop();
    if (slot !== undefined) this.owner[slot] = job;
    return slot;
  }

  /** A slot taken but never sent. */
  giveBack(slot: number): void {
    this.owner[slot] = undefined;
    this.free.push(slot);
    this.pump();
  }

  send(id: number, slot: number, len: number, marks: Mark[]): void {
    const t = this.threads;
    if (!t) return;
    if (slot >= 0) this.readers[slot] = 2;
    const m: ToWorker = { op: 'data', id, slot, len, marks };
    t.md5.postMessage(m);
    t.sha256.postMessage(m);
  }

  end(id: number): void {
    this.threads?.md5.postMessage({ op: 'end', id } satisfies ToWorker);
    this.threads?.sha256.postMessage({ op: 'end', id } satisfies ToWorker);
  }

  wait(job: ThreadedBody): void {
    this.waiting.add(job);
  }

  unwait(job: ThreadedBody): void {
    this.waiting.delete(job);
  }

  /** The upload is over (done or dropped). */
  forget(id: number, drop: boolean): void {
    const job = this.jobs.get(id);
    if (job) this.waiting.delete(job);
    this.jobs.delete(id);
    if (drop && this.threads) {
      this.threads.md5.postMessage({ op: 'drop', id } satisfies ToWorker);
      this.threads.sha256.postMessage({ op: 'drop', id } satisfies ToWorker);
    }
    this.idleLater();
  }

  /**
   * Once nothing is hashed for `idleMs` the threads and the slots go (~30 MB
   * of RSS): an idle node is as small as one that never took a large upload,
   * and the next one starts them again in a few ms.
   */
  private idleLater(): void {
    if (this.idleTimer || !this.idle()) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.idle()) return;
      const t = this.threads!;
      this.threads = undefined;
      this.sab = undefined;
      this.free = [];
      void t.md5.terminate();
      void t.sha256.terminate();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private idle(): boolean {
    return this.threads !== undefined && this.jobs.size === 0 && this.free.length === this.slotCount;
  }

  private start(): void {
    if (this.threads) return;
    this.sab = new SharedArrayBuffer(this.slotSize * this.slotCount);
    this.free = Array.from({ length: this.slotCount }, (_, i) => this.slotCount - 1 - i);
    this.readers.fill(0);
    this.owner.fill(undefined);
    const sab = this.sab;
    const spawn = (role: HashRole): Worker => {
      const data: HashWorkerData = { role, sab, slotSize: this.slotSize };
      const w = new Worker(`(${hashWorkerMain.toString()})(require('node:crypto'), require('node:worker_threads'))`, {
        eval: true,
        workerData: data,
        stdout: false,
        stderr: false,
        // Hash states and small messages only: a small heap keeps the thread's RSS small.
        resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
      });
      w.unref();
      // Messages from threads already let go (idle, closed, failed) are ignored.
      w.on('message', (m: FromWorker) => {
        if (this.threads?.[role] === w) this.onMessage(role, m);
      });
      w.on('error', (err) => this.fail(w, err));
      w.on('exit', (code) => this.fail(w, new Error(`hash thread (${role}) exited with code ${code}`)));
      return w;
    };
    this.threads = { md5: spawn('md5'), sha256: spawn('sha256') };
  }

  private onMessage(role: HashRole, m: FromWorker): void {
    if (m.op === 'free') {
      if (--this.readers[m.slot]! > 0) return;
      const job = this.owner[m.slot];
      this.owner[m.slot] = undefined;
      this.free.push(m.slot);
      job?.slotDone();
      this.pump();
      this.idleLater();
    } else if (m.op === 'prefix') {
      this.jobs.get(m.id)?.gotPrefix(role, m.at, m.hex);
    } else {
      this.jobs.get(m.id)?.gotDigest(role, m.hex, m.chunks);
    }
  }

  /** Lets uploads that ran out of slots go on, oldest first. */
  private pump(): void {
    for (const job of [...this.waiting]) {
      if (this.free.length === 0) return;
      job.drain();
    }
  }

  private fail(w: Worker, err: Error): void {
    const t = this.threads;
    if (!t || (t.md5 !== w && t.sha256 !== w)) return;
    void (t.md5 === w ? t.sha256 : t.md5).terminate();
    this.reset(err);
  }

  /** Fails every threaded upload and takes every slot back. */
  private reset(err: Error): void {
    this.threads = undefined;
    this.sab = undefined;
    this.free = [];
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    this.waiting.clear();
    this.readers.fill(0);
    this.owner.fill(undefined);
    for (const j of jobs) j.fail(err);
  }
}

/** Starts inline; moves to the threads once it grows past inlineBelow. */
class Body implements BodyHasher {
  size = 0;
  private inline: InlineHashes | undefined = new InlineHashes();
  /** Pieces and chunk ends so far, kept while the body may still go to the threads. */
  private early: Array<Buffer | 'chunk'> | undefined;
  private threaded: ThreadedBody | undefined;
  private dropped = false;

  constructor(
    private readonly pool: HashPool,
    private readonly onPrefix: (p: PrefixHash) => void,
  ) {
    if (pool.threaded) this.early = [];
  }

  update(buf: Buffer): boolean {
    if (this.dropped) throw new Error('update after abort');
    if (this.threaded) {
      this.size += buf.length;
      return this.threaded.update(buf);
    }
    if (this.early && this.size + buf.length > this.pool.inlineBelow) {
      // Past the inline limit: the threads take the body from its first byte.
      const t = new ThreadedBody(this.pool, this.onPrefix);
      for (const item of this.early) {
        if (item === 'chunk') t.endChunk();
        else t.update(item);
      }
      this.early = undefined;
      this.inline = undefined;
      this.threaded = t;
      this.size += buf.length;
      return t.update(buf);
    }
    this.size += buf.length;
    this.inline!.update(buf);
    this.early?.push(buf);
    return false;
  }

  room(): Promise<void> {
    return this.threaded?.room() ?? (this.dropped ? Promise.reject(new Error('upload aborted')) : Promise.resolve());
  }

  endChunk(): void {
    if (this.threaded) this.threaded.endChunk();
    else {
      this.inline!.endChunk();
      this.early?.push('chunk');
    }
  }

  checkpoint(): PrefixHash | undefined {
    if (this.threaded) {
      this.threaded.checkpoint();
      return undefined;
    }
    return this.inline!.peek(this.size);
  }

  prefixes(): Promise<void> {
    return this.threaded?.prefixes() ?? Promise.resolve();
  }

  async digest(): Promise<BodyDigest> {
    if (this.dropped) throw new Error('upload aborted');
    if (this.threaded) return this.threaded.digest();
    const h = this.inline!;
    this.early = undefined;
    return { md5: h.md5.digest('hex'), sha256: h.sha256.digest('hex'), size: this.size, chunks: h.chunks };
  }

  abort(): void {
    this.dropped = true;
    this.early = undefined;
    this.threaded?.abort();
  }
}

/** The part of a body the threads hash. */
class ThreadedBody {
  private readonly id: number;
  /** Marks (absolute offsets) not yet sent. */
  private marks: Mark[] = [];
  /** Pieces waiting for a slot, in body order. */
  private overflow: Buffer[] = [];
  private cur: number | undefined;
  private curFill = 0;
  /** Body bytes copied into slots so far. */
  private placed = 0;
  /** Body bytes taken so far (placed or waiting in overflow). */
  private given = 0;
  private inFlight = 0;
  /** Prefix marks not yet sent to the threads. */
  private prefixUnsent = false;
  private failure: Error | undefined;
  private over = false;
  private roomWaiters: Waiter[] = [];
  /** Prefix digests half reported (one thread answered), by offset. */
  private readonly half = new Map<number, { md5?: string; sha256?: string }>();
  private prefixesOwed = 0;
  private prefixWaiters: Waiter[] = [];
  private digests: { md5?: string; sha256?: string; chunks?: string[] } = {};
  private onDigest: ((d: { md5: string; sha256: string; chunks: string[] }) => void) | undefined;

  constructor(
    private readonly pool: HashPool,
    private readonly onPrefix: (p: PrefixHash) => void,
  ) {
    this.id = pool.register(this);
  }

  update(buf: Buffer): boolean {
    if (this.failure) return true;
    this.given += buf.length;
    if (this.overflow.length > 0) this.overflow.push(buf);
    else this.fill(buf);
    if (this.overflow.length === 0) return false;
    this.pool.wait(this);
    return true;
  }

  room(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.overflow.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.roomWaiters.push({ resolve, reject }));
  }

  endChunk(): void {
    this.marks.push({ at: this.given, kind: 'chunk' });
  }

  checkpoint(): void {
    this.marks.push({ at: this.given, kind: 'prefix' });
    this.prefixesOwed++;
    this.prefixUnsent = true;
    this.sendMarks();
  }

  prefixes(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.prefixesOwed === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.prefixWaiters.push({ resolve, reject }));
  }

  async digest(): Promise<BodyDigest> {
    await this.room();
    if (this.failure) throw this.failure;
    if (this.cur !== undefined) this.sendCurrent();
    if (this.marks.length > 0) this.pool.send(this.id, -1, 0, this.takeMarks(this.placed));
    const done = new Promise<{ md5: string; sha256: string; chunks: string[] }>((resolve, reject) => {
      this.onDigest = resolve;
      this.prefixWaiters.push({ resolve: () => undefined, reject });
    });
    this.pool.end(this.id);
    try {
      const d = await done;
      return { ...d, size: this.placed };
    } finally {
      this.over = true;
      this.pool.forget(this.id, false);
    }
  }

  abort(): void {
    if (this.over) return;
    this.over = true;
    this.overflow = [];
    if (this.cur !== undefined) {
      this.pool.giveBack(this.cur);
      this.cur = undefined;
    }
    this.pool.forget(this.id, true);
    this.fail(new Error('upload aborted'));
  }

  // ---- called by the pool ----

  slotDone(): void {
    this.inFlight--;
    this.drain();
  }

  /** Moves waiting pieces into slots as slots come free. */
  drain(): void {
    if (this.failure) return;
    const rest = this.overflow;
    this.overflow = [];
    for (let i = 0; i < rest.length; i++) {
      if (this.overflow.length > 0) {
        for (let j = i; j < rest.length; j++) this.overflow.push(rest[j]!);
        break;
      }
      this.fill(rest[i]!);
    }
    if (this.prefixUnsent) this.sendMarks();
    if (this.overflow.length > 0) {
      this.pool.wait(this);
      return;
    }
    this.pool.unwait(this);
    const ws = this.roomWaiters;
    this.roomWaiters = [];
    settle(ws);
  }

  gotPrefix(role: HashRole, at: number, hex: string): void {
    const h = this.half.get(at) ?? {};
    h[role] = hex;
    if (h.md5 === undefined || h.sha256 === undefined) {
      this.half.set(at, h);
      return;
    }
    this.half.delete(at);
    this.onPrefix({ offset: at, md5: h.md5, sha256: h.sha256 });
    if (--this.prefixesOwed > 0) return;
    const ws = this.prefixWaiters;
    this.prefixWaiters = [];
    settle(ws);
  }

  gotDigest(role: HashRole, hex: string, chunks: string[]): void {
    if (role === 'md5') this.digests.md5 = hex;
    else {
      this.digests.sha256 = hex;
      this.digests.chunks = chunks;
    }
    const d = this.digests;
    if (d.md5 !== undefined && d.sha256 !== undefined) this.onDigest?.({ md5: d.md5, sha256: d.sha256, chunks: d.chunks ?? [] });
  }

  fail(err: Error): void {
    // The pool takes every slot back when it fails a job: none is ours any more.
    this.cur = undefined;
    this.overflow = [];
    if (this.failure) return;
    this.failure = err;
    const ws = [...this.roomWaiters, ...this.prefixWaiters];
    this.roomWaiters = [];
    this.prefixWaiters = [];
    settle(ws, err);
  }

  // ---- slots ----

  /** Sends prefix marks as soon as every byte before them sits in a slot. */
  private sendMarks(): void {
    if (this.overflow.length > 0 || this.failure) return;
    if (this.cur !== undefined) this.sendCurrent();
    if (this.marks.length > 0) this.pool.send(this.id, -1, 0, this.takeMarks(this.placed));
    this.prefixUnsent = false;
  }

  /** Marks up to body offset `end`, taken off the list. */
  private takeMarks(end: number): Mark[] {
    let k = 0;
    while (k < this.marks.length && this.marks[k]!.at <= end) k++;
    if (k === 0) return [];
    const out = this.marks.slice(0, k);
    this.marks = this.marks.slice(k);
    return out;
  }

  /** Copies `buf` into slots, sending each full one; what does not fit waits in overflow. */
  private fill(buf: Buffer): void {
    const size = this.pool.slotSize;
    let off = 0;
    while (off < buf.length) {
      // A full slot goes when more bytes come, so a chunk end right after it still rides along.
      if (this.cur !== undefined && this.curFill === size) this.sendCurrent();
      if (this.cur === undefined) {
        const slot = this.inFlight < this.pool.perUpload ? this.pool.takeSlot(this) : undefined;
        if (slot === undefined) {
          this.overflow.push(off === 0 ? buf : buf.subarray(off));
          return;
        }
        this.cur = slot;
        this.curFill = 0;
        this.inFlight++;
      }
      const n = Math.min(buf.length - off, size - this.curFill);
      buf.copy(this.pool.view(this.cur), this.curFill, off, off + n);
      this.curFill += n;
      this.placed += n;
      off += n;
    }
  }

  private sendCurrent(): void {
    const slot = this.cur!;
    this.cur = undefined;
    this.pool.send(this.id, slot, this.curFill, this.takeMarks(this.placed));
  }
}
