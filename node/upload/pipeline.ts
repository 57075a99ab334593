// The first node's side of the write pipeline. Under a write quorum the
// tracker names followers, one per further copy, each in its own zone: a PUT
// streams every piece of its body to them as it arrives (the slowest one
// paces the client, as the disk does), a tus upload sends them its bytes
// from disk when its last PATCH ends. Before the commit each follower gets
// the manifest and publishes its copy only if every chunk matches. A follower
// that fails is replaced by a node the tracker picks in another zone, which
// receives the bytes from this node's disk; when there is none the upload
// fails with PIPELINE_FAILED: never a silent single copy.
import { PassThrough, Readable } from 'node:stream';
import type { Logger } from 'pino';
import { request } from 'undici';
import { callJson, remoteError } from '../../common/client.js';
import { HoardError } from '../../common/protocol/errors.js';
import type { FollowerPublishAnswer, FollowerPublishRequest, FollowerReceived, PeerNode } from '../../common/protocol/pipeline.js';
import { AUTH_HEADER, NODE } from '../../common/protocol/routes.js';
import type { BlobManifest } from '../../common/protocol/types.js';
import { clusterAuthStream } from '../../common/sign.js';
import type { TrackerApi } from '../cluster/tracker-client.js';
import type { ChunkWriter } from '../store/chunk-store.js';
import { nodeMetrics } from '../metrics.js';

/** Bytes a follower's stream buffers before the upload waits for it. */
const STREAM_HIGH_WATER = 1 << 20;
/** After the last byte, how long a follower may take to answer (its last fsyncs). */
const ANSWER_TIMEOUT_MS = 60_000;
/** Replacements one upload may ask for before it fails. */
export const MAX_REPLACEMENTS = 2;

export interface PipelineDeps {
  nodeId: string;
  secret: string;
  tracker: Pick<TrackerApi, 'replaceFollower'>;
  log: Logger;
}

export interface PipelineParams {
  /** The pipeline key on the followers: the upload's id. */
  key: string;
  followers: readonly PeerNode[];
  chunkSize: number;
  /** The upload's size when known up front. */
  length?: number;
}

interface Stream {
  peer: PeerNode;
  body: PassThrough;
  answer: Promise<FollowerReceived>;
  failure?: Error;
}

/** The path and query of a follower's stream. */
export function streamPath(key: string, chunkSize: number, length?: number): string {
  const q = new URLSearchParams({ chunkSize: String(chunkSize) });
  if (length !== undefined) q.set('length', String(length));
  return `${NODE.pipeline}${key}?${q.toString()}`;
}

/** Opens a stream to `peer`; the answer settles when the follower has taken the whole body (or failed). */
function openStream(deps: PipelineDeps, peer: PeerNode, path: string, body: Readable, length?: number): Promise<FollowerReceived> {
  const headers: Record<string, string> = {
    [AUTH_HEADER]: clusterAuthStream(deps.secret, 'PUT', path),
    'content-type': 'application/octet-stream',
  };
  if (length !== undefined) headers['content-length'] = String(length);
  return request(peer.url + path, { method: 'PUT', headers, body, headersTimeout: 0, bodyTimeout: ANSWER_TIMEOUT_MS }).then(async (res) => {
    const text = await res.body.text();
    if (res.statusCode !== 200) throw remoteError(res.statusCode, text);
    return JSON.parse(text) as FollowerReceived;
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export class WritePipeline {
  private readonly live: Stream[] = [];
  /** Followers named but not streamed to yet (a tus upload's): they get the bytes from disk at the end. */
  private readonly later: PeerNode[] = [];

  private constructor(
    private readonly deps: PipelineDeps,
    private readonly p: PipelineParams,
  ) {}

  /** A PUT's pipeline: every follower's stream opens now and takes each piece as it arrives. */
  static streaming(deps: PipelineDeps, p: PipelineParams): WritePipeline {
    const pl = new WritePipeline(deps, p);
    const path = streamPath(p.key, p.chunkSize, p.length);
    for (const peer of p.followers) {
      const body = new PassThrough({ highWaterMark: STREAM_HIGH_WATER });
      const s: Stream = { peer, body, answer: openStream(deps, peer, path, body, p.length) };
      // Noticed at once: the upload goes on without it, and finish() replaces it.
      s.answer.catch((err: unknown) => pl.fail(s, err));
      pl.live.push(s);
    }
    return pl;
  }

  /** A pipeline whose followers get the bytes from disk once they are all in (tus: an upload spans requests and restarts). */
  static atEnd(deps: PipelineDeps, p: PipelineParams): WritePipeline {
    const pl = new WritePipeline(deps, p);
    pl.later.push(...p.followers);
    return pl;
  }

  /** Passes a piece of the body on to every follower still streaming. */
  send(buf: Buffer): void {
    for (const s of this.live) if (!s.failure) s.body.write(buf);
  }

  /** A promise when a follower's buffer is full: it settles once each has room again or failed. */
  room(): Promise<boolean> | undefined {
    const full = this.live.filter((s) => !s.failure && s.body.writableNeedDrain);
    if (full.length === 0) return undefined;
    return Promise.all(
      full.map(
        (s) =>
          new Promise<void>((resolve) => {
            const done = () => {
              s.body.off('drain', done);
              s.body.off('close', done);
              resolve();
            };
            s.body.on('drain', done);
            s.body.on('close', done);
          }),
      ),
    ).then(() => false);
  }

  /** The upload failed here: every stream is cut, so the followers keep nothing. */
  abort(): void {
    for (const s of this.live) s.body.destroy(new Error('upload aborted'));
  }

  /**
   * After the writer sealed `manifest` (before it publishes): ends the
   * streams, has each follower publish its copy, replaces those that
   * failed. Resolves the ids of the followers holding a published copy, as
   * many as were named; rejects with PIPELINE_FAILED when a failed one
   * cannot be replaced.
   */
  async finish(manifest: BlobManifest, writer: ChunkWriter): Promise<string[]> {
    const held: string[] = [];
    const failed: string[] = [];
    const settle = async (peer: PeerNode, received: Promise<FollowerReceived>): Promise<void> => {
      try {
        const { bytes } = await withTimeout(received, ANSWER_TIMEOUT_MS, `follower ${peer.id}`);
        if (bytes !== manifest.size) throw new Error(`follower took ${bytes} of ${manifest.size} bytes`);
        await this.publishOn(peer, manifest);
        held.push(peer.id);
      } catch (err) {
        failed.push(peer.id);
        nodeMetrics.pipelineFollowersFailed().inc();
        this.deps.log.warn({ upload: this.p.key, follower: peer.id, err: (err as Error).message }, 'pipeline follower failed');
      }
    };
    for (const s of this.live) if (!s.failure) s.body.end();
    await Promise.all([
      ...this.live.map((s) => settle(s.peer, s.failure ? Promise.reject(s.failure) : s.answer)),
      ...this.later.map((peer) => settle(peer, this.fromDisk(peer, manifest, writer))),
    ]);
    for (let tries = 0; held.length < this.p.followers.length; tries++) {
      if (tries >= MAX_REPLACEMENTS) {
        throw new HoardError('PIPELINE_FAILED', `copies of this upload failed on ${failed.join(', ')} and their replacements failed too; nothing was acknowledged`);
      }
      const peer = await this.replacement(manifest.size, held, failed);
      this.deps.log.info({ upload: this.p.key, follower: peer.id, failed }, 'pipeline follower replaced; sending the bytes from disk');
      await settle(peer, this.fromDisk(peer, manifest, writer));
    }
    return held;
  }

  private fail(s: Stream, err: unknown): void {
    if (s.failure) return;
    s.failure = err instanceof Error ? err : new Error(String(err));
    s.body.destroy();
  }

  /** A follower that did not get the live stream gets the bytes read back from this node's disk. */
  private fromDisk(peer: PeerNode, manifest: BlobManifest, writer: ChunkWriter): Promise<FollowerReceived> {
    const path = streamPath(this.p.key, manifest.chunkSize, manifest.size);
    return openStream(this.deps, peer, path, Readable.from(writer.readBack(0)), manifest.size);
  }

  private async publishOn(peer: PeerNode, manifest: BlobManifest): Promise<void> {
    const body: FollowerPublishRequest = { manifest };
    const answer = await callJson<FollowerPublishAnswer>(peer.url, 'POST', `${NODE.pipeline}${this.p.key}/publish`, {
      secret: this.deps.secret,
      body,
      timeoutMs: ANSWER_TIMEOUT_MS,
    });
    if (answer.id !== manifest.id) throw new Error(`follower published ${answer.id}, not ${manifest.id}`);
  }

  private async replacement(size: number, keep: string[], failed: string[]): Promise<PeerNode> {
    try {
      return await this.deps.tracker.replaceFollower({ nodeId: this.deps.nodeId, size, keep, failed });
    } catch (err) {
      throw new HoardError('PIPELINE_FAILED', `a copy of this upload failed (${failed.join(', ')}) and none could replace it: ${(err as Error).message}`, { cause: err });
    }
  }
}
