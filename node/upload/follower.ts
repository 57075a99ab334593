// The follower's side of the write pipeline: another node streams an
// upload's bytes here as they reach it (PUT /internal/pipeline/<key>), this
// node writes them as chunk files hashing each chunk, and publishes them
// only when the first node's manifest matches every chunk's size and SHA-256
// (POST /internal/pipeline/<key>/publish). A stream that breaks off, or is
// never published, keeps nothing.
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { HoardError } from '../../common/protocol/errors.js';
import type { KeyedLock } from '../../common/keyed-lock.js';
import type { FollowerPublishAnswer } from '../../common/protocol/pipeline.js';
import type { BlobManifest } from '../../common/protocol/types.js';
import type { ChunkStore, ChunkWriter } from '../store/chunk-store.js';
import type { Claim, UploadAdmission } from './admission.js';
import { pump } from './body-pump.js';
import type { UploadLimits } from './limits.js';

/** A received stream waits this long for its manifest before it is dropped (the first node went away). */
export const PUBLISH_WAIT_MS = 60_000;

export interface FollowerDeps {
  store: Pick<ChunkStore, 'begin'>;
  admission: UploadAdmission;
  limits: UploadLimits;
  /** The node's per-blob locks (shared with upload publishes and copy-in). */
  locks: KeyedLock;
  log: Logger;
}

export interface StreamParams {
  chunkSize: number;
  /** The upload's size when the first node knows it (Content-Length, or a tus upload's length). */
  length?: number;
}

interface Received {
  writer: ChunkWriter;
  claim: Claim;
  /** Undefined while the bytes still arrive. */
  timer?: NodeJS.Timeout;
}

export class PipelineFollower {
  private readonly streams = new Map<string, Received>();

  constructor(private readonly deps: FollowerDeps) {}

  /** Streams held right now (received or receiving). */
  get size(): number {
    return this.streams.size;
  }

  /** Takes the whole stream; answers the bytes held. The key must be new here (UPLOAD_LOCKED otherwise). */
  async receive(key: string, req: IncomingMessage, p: StreamParams): Promise<number> {
    const { store, admission, limits, log } = this.deps;
    if (this.streams.has(key)) throw new HoardError('UPLOAD_LOCKED', 'This pipeline key is already streaming or waiting to be published here');
    if (p.length !== undefined) await admission.check(p.length);
    let writer: ChunkWriter | undefined;
    const claim = admission.claim(() => (p.length ?? 0) - (writer?.bytes ?? 0));
    // Taken before the first await on the writer, so a second stream of the same key is refused.
    const entry = { claim } as Received;
    this.streams.set(key, entry);
    try {
      writer = await store.begin({ chunkSize: p.chunkSize, hashing: 'chunks' });
      entry.writer = writer;
      await pump(req, writer, { limit: Math.min(p.length ?? Infinity, limits.maxUploadSize), limits });
      if (p.length !== undefined && writer.bytes !== p.length) throw new HoardError('BODY_INCOMPLETE');
    } catch (err) {
      this.streams.delete(key);
      claim.release();
      await writer?.abort().catch((e: unknown) => log.error({ err: e }, 'cannot remove a broken pipeline stream'));
      throw err;
    }
    entry.timer = setTimeout(() => {
      if (this.streams.get(key) !== entry) return;
      log.warn({ key, bytes: entry.writer.bytes }, 'pipeline stream never published; dropped');
      this.drop(key, entry);
    }, PUBLISH_WAIT_MS);
    entry.timer.unref();
    return writer.bytes;
  }

  /**
   * Publishes a received stream as `manifest` when every chunk matches
   * (REPLICA_MISMATCH and nothing kept otherwise), under the blob's lock.
   * UPLOAD_NOT_FOUND when no complete stream of that key is here.
   */
  async publish(key: string, manifest: BlobManifest): Promise<FollowerPublishAnswer> {
    const entry = this.streams.get(key);
    if (!entry || entry.timer === undefined) throw new HoardError('UPLOAD_NOT_FOUND', 'No complete pipeline stream of that key here');
    clearTimeout(entry.timer);
    this.streams.delete(key);
    try {
      const { created } = await this.deps.locks.run(manifest.id, () => entry.writer.publishAs(manifest));
      return { id: manifest.id, created };
    } finally {
      entry.claim.release();
    }
  }

  /** At shutdown: every stream waiting for its manifest is dropped. */
  async close(): Promise<void> {
    await Promise.all([...this.streams].filter(([, e]) => e.timer !== undefined).map(([key, e]) => this.drop(key, e)));
  }

  private async drop(key: string, entry: Received): Promise<void> {
    clearTimeout(entry.timer);
    this.streams.delete(key);
    entry.claim.release();
    await entry.writer.abort().catch((err: unknown) => this.deps.log.error({ err, key }, 'cannot remove a dropped pipeline stream'));
  }
}
