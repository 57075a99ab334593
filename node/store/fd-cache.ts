// Read-only descriptors of chunk files, shared by every reader of a file.
//
// Opening and closing the chunk file on each ranged read was a large part of
// a node's CPU on small ranges. A visible chunk file never changes through
// the store (blobs are written once and published by a rename), so one
// descriptor per file serves every reader with positioned reads.
//
// Descriptors are reference-counted leases. Eviction (the cache is bounded)
// and invalidation (a blob moved away) only take an entry out of the map; its
// descriptor is closed when its last lease is released, so no read ever runs
// on a closed or reused descriptor, and no new reader finds a moved-away file.
import { close, fstatSync, open, read, type Stats } from 'node:fs';

/** An open chunk file as the read path and the chunk verifier use it. */
export interface ChunkFile {
  stat(): Promise<Stats>;
  read(buf: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

export interface FdLease extends ChunkFile {
  readonly fd: number;
  readonly path: string;
  /** Gives the descriptor back; a second call does nothing. */
  release(): void;
}

export interface FdCacheOptions {
  /** Descriptors kept open while unused; leased ones are never closed under a reader. */
  max: number;
  /** Seams for tests; default fs.open read-only and fs.close. */
  openFile?: (path: string) => Promise<number>;
  closeFile?: (fd: number) => void;
}

interface Entry {
  readonly path: string;
  /** -1 until the open succeeds, and again once closed. */
  fd: number;
  opening: Promise<number> | undefined;
  refs: number;
  /** Out of the map: closed as soon as no lease holds it. */
  detached: boolean;
}

const openReadOnly = (path: string): Promise<number> =>
  new Promise((resolve, reject) => open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));

const closeQuietly = (fd: number): void => close(fd, () => undefined);

export class FdCache {
  private readonly max: number;
  private readonly openFile: (path: string) => Promise<number>;
  private readonly closeFile: (fd: number) => void;
  /** Map order is recency: the first entry is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  private openNow = 0;

  constructor(opts: FdCacheOptions) {
    if (!Number.isSafeInteger(opts.max) || opts.max < 1) throw new RangeError('max must be a positive integer');
    this.max = opts.max;
    this.openFile = opts.openFile ?? openReadOnly;
    this.closeFile = opts.closeFile ?? closeQuietly;
  }

  /** Descriptors open right now: cached ones and detached ones still leased. */
  get openCount(): number {
    return this.openNow;
  }

  /** Paths in the cache. */
  get size(): number {
    return this.entries.size;
  }

  /** A lease on a descriptor that is already open, without waiting; undefined otherwise. */
  tryAcquire(path: string): FdLease | undefined {
    const e = this.entries.get(path);
    if (!e || e.fd < 0) return undefined;
    this.touch(e);
    e.refs++;
    return this.lease(e);
  }

  /** A lease on `path`'s descriptor, opening it when needed; rejects with the open's error (ENOENT…). */
  async acquire(path: string): Promise<FdLease> {
    const hit = this.tryAcquire(path);
    if (hit) return hit;
    let e = this.entries.get(path);
    if (e) this.touch(e);
    else e = this.startOpen(path);
    e.refs++;
    try {
      await e.opening;
    } catch (err) {
      e.refs--;
      throw err;
    }
    this.trim();
    return this.lease(e);
  }

  /** Takes every file under `prefix` (a blob's folder) out of the cache; leased descriptors close on release. */
  invalidate(prefix: string): void {
    for (const e of [...this.entries.values()]) if (e.path.startsWith(prefix)) this.detach(e);
  }

  /** Closes every unleased descriptor; later acquires open afresh. */
  clear(): void {
    for (const e of [...this.entries.values()]) this.detach(e);
  }

  private startOpen(path: string): Entry {
    const e: Entry = { path, fd: -1, opening: undefined, refs: 0, detached: false };
    e.opening = this.openFile(path).then(
      (fd) => {
        e.opening = undefined;
        e.fd = fd;
        this.openNow++;
        // Detached while opening (its blob moved away): close once the waiting leases let go.
        if (e.detached) queueMicrotask(() => this.closeIfIdle(e));
        return fd;
      },
      (err: unknown) => {
        e.opening = undefined;
        if (this.entries.get(path) === e) this.entries.delete(path);
        e.detached = true;
        throw err;
      },
    );
    this.entries.set(path, e);
    return e;
  }

  private touch(e: Entry): void {
    this.entries.delete(e.path);
    this.entries.set(e.path, e);
  }

  private lease(e: Entry): FdLease {
    let released = false;
    const fd = e.fd;
    return {
      fd,
      path: e.path,
      // fstat of an open descriptor never waits on the disk: done in place, it skips a thread-pool
      // round trip that was ~10 % of the node's CPU on small ranged reads (the verifier stats every read).
      stat: () => {
        try {
          return Promise.resolve(fstatSync(fd));
        } catch (err) {
          return Promise.reject(err as Error);
        }
      },
      read: (buf, offset, length, position) =>
        new Promise((resolve, reject) => read(fd, buf, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve({ bytesRead })))),
      release: () => {
        if (released) return;
        released = true;
        e.refs--;
        if (e.detached) this.closeIfIdle(e);
        else this.trim();
      },
    };
  }

  private detach(e: Entry): void {
    if (this.entries.get(e.path) === e) this.entries.delete(e.path);
    e.detached = true;
    this.closeIfIdle(e);
  }

  private closeIfIdle(e: Entry): void {
    if (e.refs > 0 || e.fd < 0) return;
    const fd = e.fd;
    e.fd = -1;
    this.openNow--;
    this.closeFile(fd);
  }

  /** Closes the least recently used unleased descriptors until the cache is within its bound. */
  private trim(): void {
    let excess = this.entries.size - this.max;
    if (excess <= 0) return;
    for (const e of [...this.entries.values()]) {
      if (excess <= 0) break;
      if (e.refs > 0 || e.opening) continue;
      this.detach(e);
      excess--;
    }
  }
}
