// The commit rules: a node reports a stored upload, the tracker records a new
// link to either an existing blob (dedup) or a new one. Decisions for one MD5
// are serialised, so concurrent uploads of the same new content end as one
// blob with one link per upload.
import type { Logger } from 'pino';
import { HoardError } from '../../common/protocol/errors.js';
import type { BlobManifest } from '../../common/protocol/types.js';
import { KeyedLock } from '../../common/keyed-lock.js';
import { newLinkId } from './link-id.js';
import type { BlobRecord, LinkRecord, MetaStore } from '../meta/store.js';

export interface CommitDeps {
  store: MetaStore;
  /** True when the node is registered and heartbeating. */
  isLive(nodeId: string): boolean;
  /**
   * Whether a duplicate upload's fresh copy on `nodeId` should become one of
   * the blob's copies instead of being deleted (replication policy); by
   * default only when no live node holds the blob.
   */
  wantsCopy?(blob: BlobRecord, nodeId: string): boolean;
  log: Logger;
  newLinkId?: () => string;
  now?: () => number;
}

export interface CommitOutcome {
  link: LinkRecord;
  blob: BlobRecord;
  dedup: boolean;
}

export class Committer {
  private readonly lock = new KeyedLock();
  private readonly newLinkId: () => string;
  private readonly now: () => number;

  constructor(private readonly deps: CommitDeps) {
    this.newLinkId = deps.newLinkId ?? newLinkId;
    this.now = deps.now ?? Date.now;
  }

  /**
   * Runs `fn` with commits of this MD5 held off: for changes to a blob's
   * holders or existence (bad copies, repairs, GC), which commits would
   * otherwise overwrite with the holders they read before.
   */
  exclusive<T>(md5: string, fn: () => Promise<T>): Promise<T> {
    return this.lock.run(md5, fn);
  }

  /** `manifest` must already be checked (parseManifest); `filename` too. */
  commit(nodeId: string, filename: string, manifest: BlobManifest, uploadId?: string): Promise<CommitOutcome> {
    return this.lock.run(manifest.md5, () => this.decide(nodeId, filename, manifest, uploadId));
  }

  /**
   * A new link to a stored blob without a new copy: an upload that proved
   * possession of it (tracker/proof.ts) and stopped early.
   */
  async linkExisting(blobId: string, filename: string, uploadId: string): Promise<CommitOutcome> {
    const known = await this.deps.store.getBlob(blobId);
    if (!known) throw new HoardError('BLOB_NOT_FOUND', `blob ${blobId} is gone`);
    return this.lock.run(known.md5, async () => {
      const blob = await this.deps.store.getBlob(blobId);
      if (!blob) throw new HoardError('BLOB_NOT_FOUND', `blob ${blobId} is gone`);
      const { refs: _refs, ...rest } = blob;
      const link: LinkRecord = { id: this.newLinkId(), blobId, filename, created: new Date(this.now()).toISOString() };
      const res = await this.deps.store.commit({ link, blob: rest, chunks: [], uploadId });
      return { link, blob: res.blob, dedup: true };
    });
  }

  private async decide(nodeId: string, filename: string, m: BlobManifest, uploadId?: string): Promise<CommitOutcome> {
    const { store, log } = this.deps;
    const created = new Date(this.now()).toISOString();
    const underMd5 = await store.blobsByMd5(m.md5);
    const match = underMd5.find((b) => b.sha256 === m.sha256 && b.size === m.size);
    let blob: Omit<BlobRecord, 'refs'>;
    let md5Collision = false;
    if (match) {
      const { refs: _refs, ...rest } = match;
      // Keep the node's fresh copy when no live node holds the old one, or when the blob still lacks a copy there.
      const adopt =
        !match.nodes.includes(nodeId) && (!match.nodes.some((n) => this.deps.isLive(n)) || this.deps.wantsCopy?.(match, nodeId) === true);
      blob = { ...rest, nodes: adopt ? [...match.nodes, nodeId] : match.nodes };
    } else {
      if ((await store.getBlob(m.id)) !== undefined) {
        log.error({ id: m.id, md5: m.md5, size: m.size, nodeId }, 'manifest conflicts with the stored blob of that id');
        throw new HoardError('BAD_REQUEST', 'manifest conflicts with the stored blob of that id');
      }
      if (underMd5.length > 0) {
        log.warn({ md5: m.md5, sha256: m.sha256, others: underMd5.map((b) => b.id) }, 'MD5 collision: a second blob under one MD5; early stop is off for this MD5');
        md5Collision = true;
      }
      blob = { id: m.id, md5: m.md5, sha256: m.sha256, size: m.size, chunkSize: m.chunkSize, chunks: m.chunks.length, nodes: [nodeId], created };
    }
    const link: LinkRecord = { id: this.newLinkId(), blobId: m.id, filename, created };
    const res = await store.commit({ link, blob, chunks: m.chunks, prefixes: m.prefixes, md5Collision, uploadId });
    return { link, blob: res.blob, dedup: !res.created };
  }
}
