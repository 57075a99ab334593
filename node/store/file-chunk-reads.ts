// The read path of the file back end: chunk files through a bounded cache of
// shared descriptors, each chunk checked by the ChunkVerifier before any of
// its bytes are read for sending, pooled buffers for responses.
//
// The store calls forgetDir() whenever a blob folder leaves blobs/ (removed,
// quarantined) or appears there, so no new read uses a descriptor of a file
// that is no longer the blob's; a read already running finishes with the
// descriptor it holds, as it would with its own open file.
import { sep } from 'node:path';
import type { Logger } from 'pino';
import { HoardError } from '../../common/protocol/errors.js';
import type { BlobManifest } from '../../common/protocol/types.js';
import { BlobStream, type ChunkSource, type ReadBuffers } from './blob-reader.js';
import { BufferPool, LargeReadSlots } from './buffer-pool.js';
import type { ChunkVerifier } from './chunk-verifier.js';
import { FdCache, type ChunkFile, type FdLease } from './fd-cache.js';

export interface FileChunkReadsOptions {
  verifier: ChunkVerifier;
  /** Awaited on a bad or missing chunk before the read fails (quarantine and report). */
  onCorrupt?: (id: string, chunks: number[]) => Promise<void>;
  /** Tells whether the blob is still there, when a chunk file is missing. */
  stillThere: (dir: string, id: string) => Promise<boolean>;
  log?: Logger;
  /** Chunk descriptors kept open (default 512). */
  maxOpenFiles?: number;
}

/** Bytes per response read: 100 backed-up downloads hold ~13 MB; a 64 KiB range fits one piece. */
export const RESPONSE_PIECE = 128 * 1024;
/** Long single downloads read 1 MiB at a time, at most this many at once. */
const LARGE_PIECE = 1 << 20;
const LARGE_SLOTS = 8;

export const chunkFileName = (index: number): string => String(index).padStart(6, '0');

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

export class FileChunkReads {
  readonly fds: FdCache;
  readonly buffers: ReadBuffers;

  constructor(private readonly opts: FileChunkReadsOptions) {
    this.fds = new FdCache({ max: opts.maxOpenFiles ?? 512 });
    this.buffers = { pool: new BufferPool(RESPONSE_PIECE, 64), large: new LargeReadSlots(LARGE_PIECE, LARGE_SLOTS) };
  }

  /** Bytes `start..end` of the blob in `dir`, its first chunk already opened and checked. */
  async read(dir: string, manifest: BlobManifest, start: number, end: number): Promise<BlobStream> {
    return new BlobStream(this.source(dir, manifest), this.buffers, start, end).open();
  }

  /** No new read may use a descriptor of a file under `dir` (a blob folder that moved). */
  forgetDir(dir: string): void {
    this.fds.invalidate(dir + sep);
  }

  close(): void {
    this.fds.clear();
  }

  private source(dir: string, manifest: BlobManifest): ChunkSource {
    // Concatenated, not path.join: `dir` is already normal, and join showed in ranged-read profiles.
    const prefix = dir + sep;
    return { manifest, openChecked: (i) => this.openChecked(dir, prefix + chunkFileName(i), manifest, i) };
  }

  private async openChecked(dir: string, path: string, m: BlobManifest, i: number): Promise<FdLease> {
    let file = this.fds.tryAcquire(path) ?? (await this.openChunk(dir, path, m, i));
    try {
      let st = await file.stat();
      if (st.nlink === 0) {
        // The cached descriptor's file was deleted or replaced behind the store's back: look at the path again.
        file.release();
        this.fds.invalidate(path);
        file = await this.openChunk(dir, path, m, i);
        st = await file.stat();
      }
      // A chunk the verifier checked recently, unchanged since: no further waits.
      if (this.opts.verifier.vouches(path, st, m.chunks[i]!)) return file;
      // The verifier stats the file too: hand it the stat just taken.
      const seen = st;
      await this.check(m, i, { stat: () => Promise.resolve(seen), read: file.read }, path);
      return file;
    } catch (err) {
      file.release();
      throw err;
    }
  }

  /** A chunk file missing from a blob that is still there is a damaged copy. */
  private async openChunk(dir: string, path: string, m: BlobManifest, i: number): Promise<FdLease> {
    try {
      return await this.fds.acquire(path);
    } catch (err) {
      if (errno(err) !== 'ENOENT' && errno(err) !== 'ENOTDIR') throw err;
      if (!(await this.opts.stillThere(dir, m.id))) throw new HoardError('BLOB_NOT_FOUND', undefined, { cause: err });
      await this.opts.onCorrupt?.(m.id, [i]);
      throw new HoardError('CHUNK_CORRUPT', `Chunk ${i} of blob ${m.id} is missing`);
    }
  }

  private async check(m: BlobManifest, i: number, file: ChunkFile, path: string): Promise<void> {
    const r = await this.opts.verifier.check(path, file, m.chunks[i]!);
    if (r.ok) return;
    this.opts.log?.error({ blob: m.id, chunk: i, why: r.why }, 'chunk failed its check on read; not sent');
    await this.opts.onCorrupt?.(m.id, [i]);
    throw new HoardError('CHUNK_CORRUPT', `Chunk ${i} of blob ${m.id} fails its ${r.why === 'sha256' ? 'SHA-256' : 'size'} check`);
  }
}
