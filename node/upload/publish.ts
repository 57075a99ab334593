// The last step of every upload (PUT, tus): seal the writer, publish the blob
// on this node's disk, commit it at the tracker, and drop the fresh copy
// when the tracker's link uses the same content held elsewhere.
//
// Under the blob's lock, shared with copy removal and repair: a failed
// commit removes the blob, which must not pull it from under another upload
// or a copy-in of the same content.
import type { Logger } from 'pino';
import { HoardError, RemoteError } from '../../common/protocol/errors.js';
import { takenDownMessage } from '../../common/protocol/takedowns.js';
import type { NodeTakedowns } from '../cluster/takedowns.js';
import type { KeyedLock } from '../../common/keyed-lock.js';
import type { CommitResponse, UploadResult } from '../../common/protocol/types.js';
import type { TrackerApi } from '../cluster/tracker-client.js';
import type { ChunkStore, ChunkWriter } from '../store/chunk-store.js';
import type { WritePipeline } from './pipeline.js';

export interface PublisherDeps {
  nodeId: string;
  store: Pick<ChunkStore, 'remove' | 'restamp'>;
  tracker: Pick<TrackerApi, 'commit'>;
  /** Contents the trackers took down: refused before their bytes are published. */
  takedowns: Pick<NodeTakedowns, 'blob'>;
  /** One lock per blob id, the node's only one (created once in compose). */
  locks: KeyedLock;
  log: Logger;
}

export interface UploadNames {
  filename: string;
  /** Makes the commit idempotent: a retry after a lost answer gets the same link. */
  uploadId: string;
  /** The write pipeline's followers publish their copies before the commit, which names them. */
  pipeline?: Pick<WritePipeline, 'finish'>;
  /** The account the upload is for, as the tracker signed it (passed on untouched; absent: anonymous). */
  owner?: string;
}

export class UploadPublisher {
  constructor(private readonly deps: PublisherDeps) {}

  /**
   * Seals, has the pipeline's followers publish their copies, publishes and
   * commits. Rejects with UPSTREAM_FAILED (the blob removed again if this
   * upload created it) when the commit fails, with PIPELINE_FAILED (nothing
   * kept here) when a follower's copy is lost and cannot be replaced, or with
   * the writer's error (nothing kept) when sealing or publishing does.
   */
  async publishAndCommit(writer: ChunkWriter, names: UploadNames): Promise<UploadResult> {
    const manifest = await writer.seal();
    const ref = this.deps.takedowns.blob(manifest.id);
    if (ref !== undefined) {
      // A content under a takedown notice: its bytes are dropped here, before anything is published or committed.
      await writer.abort().catch((e: unknown) => this.deps.log.error({ err: e }, 'cannot remove a refused upload'));
      this.deps.log.warn({ blob: manifest.id, notice: ref || undefined }, 'upload of a taken-down content refused');
      throw new HoardError('TAKEN_DOWN', takenDownMessage(ref || undefined));
    }
    let followers: string[] = [];
    if (names.pipeline) {
      try {
        followers = await names.pipeline.finish(manifest, writer);
      } catch (err) {
        await writer.abort().catch((e: unknown) => this.deps.log.error({ err: e }, 'cannot remove an aborted upload'));
        throw err;
      }
    }
    return this.deps.locks.run(manifest.id, () => this.locked(writer, names, followers));
  }

  private async locked(writer: ChunkWriter, { filename, uploadId, owner }: UploadNames, followers: string[]): Promise<UploadResult> {
    const { nodeId, tracker } = this.deps;
    const { manifest, created } = await writer.publish();
    let answer: CommitResponse;
    try {
      answer = await tracker.commit({ nodeId, filename, manifest, uploadId, ...(followers.length > 0 ? { followers } : {}), ...(owner === undefined ? {} : { owner }) });
    } catch (err) {
      if (created) await this.removeQuietly(manifest.id);
      // The tracker's refusal of a taken-down content (a notice this node had not heard of yet) reaches the uploader as it is.
      if (err instanceof RemoteError && err.code === 'TAKEN_DOWN') throw new HoardError('TAKEN_DOWN', err.message.replace(/^\S+ \(\d+\): /, ''));
      // The account's quota: the uploader's own limit, told as the tracker worded it.
      if (err instanceof RemoteError && err.code === 'QUOTA_EXCEEDED') throw new HoardError('QUOTA_EXCEEDED', err.message.replace(/^\S+ \(\d+\): /, ''));
      throw new HoardError('UPSTREAM_FAILED', `Tracker commit failed: ${(err as Error).message}`, { cause: err });
    }
    if (answer.dedup && created && !answer.nodes.includes(nodeId)) {
      // The content is already held elsewhere; that copy is the one the link uses.
      await this.removeQuietly(manifest.id);
    } else if (created && answer.created !== undefined && answer.created !== manifest.created) {
      // A fresh copy kept for a blob first stored earlier takes on its creation time (one Last-Modified on every copy).
      await this.deps.store.restamp(manifest.id, answer.created).catch((err: unknown) => this.deps.log.error({ err, id: manifest.id }, 'cannot restamp a kept copy'));
    }
    return { link: answer.link, id: answer.id, md5: manifest.md5, sha256: manifest.sha256, size: manifest.size, dedup: answer.dedup };
  }

  private async removeQuietly(id: string): Promise<void> {
    try {
      await this.deps.store.remove(id);
    } catch (err) {
      this.deps.log.error({ err, id }, 'cannot remove blob');
    }
  }
}
