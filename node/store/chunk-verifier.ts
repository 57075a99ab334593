// Checks a chunk file against its manifest entry (size and SHA-256), and
// remembers chunks it verified recently so hot reads do not hash again.
//
// The cache key is the file's path; the entry holds the file's inode, size,
// mtime and ctime at verification. Any write through the file system changes
// ctime (even one that puts mtime back), so such a change always means a
// fresh check; only rot below the file system goes unseen until the entry
// expires or the scrub, which never trusts the cache, reads the chunk.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Stats } from 'node:fs';
import type { ChunkInfo } from '../../common/protocol/types.js';
import type { ChunkFile } from './fd-cache.js';

export interface CheckResult {
  ok: boolean;
  /** The cache vouched for the chunk: nothing was read. */
  cached: boolean;
  /** Bytes read and hashed. */
  bytes: number;
  /** Why a chunk failed: its file has the wrong size, or ends early, or its SHA-256 differs. */
  why?: 'size' | 'short' | 'sha256';
}

export interface CheckOptions {
  /** Ignore the cache and read the chunk (the scrub). */
  force?: boolean;
  /** Awaited before each read with the bytes about to be read: the scrub's rate limit. */
  throttle?: (bytes: number) => Promise<void>;
}

export interface ChunkVerifierOptions {
  /** How long a verified chunk is trusted without reading it again; 0 = never (hash every read). */
  ttlMs: number;
  /** Chunks remembered (default 20 000: 160 GB of 8 MiB chunks). */
  max?: number;
  /** Bytes per read while hashing (default 1 MiB). */
  pieceBytes?: number;
  /** Told about every check, for metrics. */
  onCheck?: (r: CheckResult) => void;
}

interface Seen {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export class ChunkVerifier {
  private readonly cache: LRUCache<string, Seen> | undefined;
  private readonly pending = new Map<string, Promise<CheckResult>>();
  private readonly piece: number;

  constructor(private readonly opts: ChunkVerifierOptions) {
    // lru-cache reads ttl 0 as "no expiry": a zero TTL means no cache at all.
    this.cache = opts.ttlMs > 0 ? new LRUCache<string, Seen>({ max: opts.max ?? 20_000, ttl: opts.ttlMs, ttlAutopurge: false }) : undefined;
    this.piece = opts.pieceBytes ?? 1 << 20;
  }

  /** Checks the chunk open as `fh` at `path` (a FileHandle or a cached descriptor). Concurrent unforced checks of one path share one read. */
  async check(path: string, fh: ChunkFile, expected: ChunkInfo, opts: CheckOptions = {}): Promise<CheckResult> {
    const st = await fh.stat();
    const seen: Seen = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    if (!opts.force) {
      const hit = this.cache?.get(path);
      if (hit && same(hit, seen) && seen.size === expected.size) return this.report({ ok: true, cached: true, bytes: 0 });
      const running = this.pending.get(path);
      if (running) return running;
    }
    const run = this.hash(fh, seen, expected, opts).then((r) => {
      if (r.ok) this.cache?.set(path, seen);
      else this.cache?.delete(path);
      return this.report(r);
    });
    if (!opts.force) {
      this.pending.set(path, run);
      void run.finally(() => this.pending.delete(path)).catch(() => undefined);
    }
    return run;
  }

  /**
   * The cache's verdict alone, without waiting: true when a recent check of
   * `path` vouches for the file as `st` describes it (reported as a cached
   * check). False means "run check()", not "bad".
   */
  vouches(path: string, st: Stats, expected: ChunkInfo): boolean {
    const hit = this.cache?.get(path);
    if (!hit || st.size !== expected.size || !same(hit, st)) return false;
    this.report({ ok: true, cached: true, bytes: 0 });
    return true;
  }

  /** Forgets a chunk (its copy was quarantined or removed). */
  forget(path: string): void {
    this.cache?.delete(path);
  }

  get size(): number {
    return this.cache?.size ?? 0;
  }

  private report(r: CheckResult): CheckResult {
    this.opts.onCheck?.(r);
    return r;
  }

  private async hash(fh: ChunkFile, seen: Seen, expected: ChunkInfo, opts: CheckOptions): Promise<CheckResult> {
    if (seen.size !== expected.size) return { ok: false, cached: false, bytes: 0, why: 'size' };
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(Math.min(this.piece, Math.max(1, expected.size)));
    let pos = 0;
    while (pos < expected.size) {
      const want = Math.min(buf.length, expected.size - pos);
      if (opts.throttle) await opts.throttle(want);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) return { ok: false, cached: false, bytes: pos, why: 'short' };
      h.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    const ok = h.digest('hex') === expected.sha256;
    return ok ? { ok, cached: false, bytes: pos } : { ok, cached: false, bytes: pos, why: 'sha256' };
  }
}

function same(a: Seen, b: Seen | Stats): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * A token bucket for the scrub: `bytesPerSecond` on average, bursts of up to
 * one second's worth. 0 = unlimited.
 */
export function rateLimiter(bytesPerSecond: number, now: () => number = () => performance.now()): (bytes: number) => Promise<void> {
  if (bytesPerSecond <= 0) return () => Promise.resolve();
  let tokens = bytesPerSecond;
  let last = now();
  return async (bytes: number) => {
    const t = now();
    tokens = Math.min(bytesPerSecond, tokens + ((t - last) / 1000) * bytesPerSecond);
    last = t;
    tokens -= bytes;
    if (tokens < 0) {
      const waitMs = (-tokens / bytesPerSecond) * 1000;
      await new Promise((r) => setTimeout(r, waitMs));
    }
  };
}
