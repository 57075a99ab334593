// What the upload writer asks of the file store: the few disk steps it shares
// with the store (reported to the store's fault-injection hook, folder fsyncs
// shared between uploads, the reserve) and the last step of a publish, moving
// a sealed upload's folder into blobs/. The writer knows only this, so the
// store and its writer do not import each other.
import type { BlobManifest } from '../../common/protocol/types.js';
import type { PublishResult } from './chunk-store.js';

/** File-system steps the store takes, reported before each one. */
export type FsOp = 'open' | 'write' | 'fsync' | 'fsyncDir' | 'mkdir' | 'rename' | 'rm';

export interface WriterDisk {
  /** Reports a durable step about to be taken; throwing makes that step fail (fault injection). */
  fsOp(op: FsOp, path: string): void;
  /** fsync of a folder, shared with the uploads that ask meanwhile. */
  fsyncDir(path: string): Promise<void>;
  rmTree(path: string): Promise<void>;
  /** Refuses (507) a new chunk file of `bytes` when the disk is down to its reserve. */
  checkRoom(bytes: number): Promise<void>;
  /**
   * Moves `dir` (its manifest and every chunk durable, its entries fsynced)
   * into blobs/ under the manifest's id and makes the rename durable. When
   * the blob is already there, `dir` is removed and the stored manifest is
   * returned with `created: false`. On failure the blob is not visible.
   */
  placeBlob(dir: string, manifest: BlobManifest): Promise<PublishResult>;
}
