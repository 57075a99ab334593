// The commit: a node reports a stored upload, the tracker decides on a new
// link to either an existing blob (dedup) or a new one. Each decision runs in
// the store's transaction for the content's MD5, so concurrent uploads of the
// same new content end as one blob with one link per upload.
import type { Logger } from 'pino';
import { HoardError } from '../../common/protocol/errors.js';
import type { BlobManifest } from '../../common/protocol/types.js';
import type { OwnerClaim } from '../../common/sign.js';
import { formatBytes } from '../accounts/limits.js';
import { newLinkId } from './link-id.js';
import { onBlob, writeCommitIn, type BlobTransactor } from '../meta/operations.js';
import { StoreError, type BlobRecord, type LinkRecord, type MetaTx } from '../meta/store.js';

export interface CommitDeps {
  /** Only transactions and blob reads: the bench fills an index by recording what commits write (bench/lib/index-fill.ts). */
  store: BlobTransactor;
  /** Throws (TAKEN_DOWN) when the content may get no new link: a takedown notice covers it. */
  refuse(blobId: string): Promise<void>;
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

export interface CommitOptions {
  /** The resumable upload (or PUT) this commit ends: a retry gets the same link. */
  uploadId?: string;
  /** Other nodes that published a copy of the upload (the write pipeline): holders of a new blob with the committing node. */
  followers?: readonly string[];
  /** The account the upload is for (its signature checked): the link's uploader, its usage moved and its quota held in the same step. */
  owner?: OwnerClaim;
}

export interface CommitOutcome {
  link: LinkRecord;
  blob: BlobRecord;
  dedup: boolean;
}

export class Committer {
  private readonly newLinkId: () => string;
  private readonly now: () => number;

  constructor(private readonly deps: CommitDeps) {
    this.newLinkId = deps.newLinkId ?? newLinkId;
    this.now = deps.now ?? Date.now;
  }

  /** `manifest` must already be checked (parseManifest); `filename` too; followers must be registered nodes. */
  async commit(nodeId: string, filename: string, manifest: BlobManifest, opts: CommitOptions = {}): Promise<CommitOutcome> {
    await this.deps.refuse(manifest.id);
    return overQuota(this.deps.store.transact(manifest.md5, (tx) => this.decide(tx, nodeId, filename, manifest, opts), { sync: true }), opts.owner, manifest.size);
  }

  /**
   * A new link to a stored blob without a new copy: an upload that proved
   * possession of it (tracker/proof.ts) and stopped early.
   */
  async linkExisting(blobId: string, filename: string, uploadId: string, owner?: OwnerClaim): Promise<CommitOutcome> {
    await this.deps.refuse(blobId);
    let size: number | undefined;
    const linked = onBlob(
      this.deps.store,
      blobId,
      async (tx, blob) => {
        if (!blob) throw new HoardError('BLOB_NOT_FOUND', `blob ${blobId} is gone`);
        const { refs: _refs, ...rest } = blob;
        size = blob.size;
        const link = this.newLink(blobId, filename, owner);
        const res = await writeCommitIn(tx, { link, blob: rest, chunks: [], uploadId, ...quotaOf(owner) });
        return { link, blob: res.blob, dedup: true };
      },
      { sync: true },
    );
    return overQuota(linked, owner, () => size);
  }

  private newLink(blobId: string, filename: string, owner: OwnerClaim | undefined): LinkRecord {
    const link: LinkRecord = { id: this.newLinkId(), blobId, filename, created: new Date(this.now()).toISOString() };
    if (owner) link.uploader = owner.user;
    return link;
  }

  private async decide(tx: MetaTx, nodeId: string, filename: string, m: BlobManifest, { uploadId, followers = [], owner }: CommitOptions): Promise<CommitOutcome> {
    const { log } = this.deps;
    const link = this.newLink(m.id, filename, owner);
    const created = link.created;
    // Everything the decision and the write read, asked for at once (a back end may fetch them together).
    const [underMd5, sameId] = await Promise.all([
      tx.blobsByMd5(m.md5),
      tx.blob(m.id),
      tx.link(link.id),
      uploadId === undefined ? undefined : tx.linkOfUpload(uploadId),
    ]);
    const match = underMd5.find((b) => b.sha256 === m.sha256 && b.size === m.size);
    // This upload's fresh copies: the committing node's and its followers'.
    const fresh = [...new Set([nodeId, ...followers])];
    let blob: Omit<BlobRecord, 'refs'>;
    let md5Collision = false;
    if (match) {
      const { refs: _refs, ...rest } = match;
      // Keep a fresh copy when no live node holds the blob, or when it still lacks a copy in that node's zone.
      const nodes = [...match.nodes];
      for (const n of fresh) {
        if (nodes.includes(n)) continue;
        const adopt = !nodes.some((h) => this.deps.isLive(h)) || this.deps.wantsCopy?.({ ...match, nodes }, n) === true;
        if (adopt) nodes.push(n);
      }
      blob = { ...rest, nodes };
    } else {
      if (sameId !== undefined) {
        log.error({ id: m.id, md5: m.md5, size: m.size, nodeId }, 'manifest conflicts with the stored blob of that id');
        throw new HoardError('BAD_REQUEST', 'manifest conflicts with the stored blob of that id');
      }
      if (underMd5.length > 0) {
        log.warn({ md5: m.md5, sha256: m.sha256, others: underMd5.map((b) => b.id) }, 'MD5 collision: a second blob under one MD5; early stop is off for this MD5');
        md5Collision = true;
      }
      // The first copy's own time, so Last-Modified is the same on every copy (a node before it was recorded sends none).
      blob = { id: m.id, md5: m.md5, sha256: m.sha256, size: m.size, chunkSize: m.chunkSize, chunks: m.chunks.length, nodes: fresh, created: m.created ?? created };
    }
    const res = await writeCommitIn(tx, { link, blob, chunks: m.chunks, prefixes: m.prefixes, md5Collision, uploadId, ...quotaOf(owner) });
    return { link, blob: res.blob, dedup: !res.created };
  }
}

const quotaOf = (owner: OwnerClaim | undefined): { quota?: number } => (owner?.quota === undefined ? {} : { quota: owner.quota });

/** A commit the account's quota refused (StoreError QUOTA), as the uploader is told: nothing was written. */
async function overQuota<T>(commit: Promise<T>, owner: OwnerClaim | undefined, size: number | (() => number | undefined)): Promise<T> {
  try {
    return await commit;
  } catch (err) {
    if (!(err instanceof StoreError) || err.code !== 'QUOTA' || owner?.quota === undefined) throw err;
    const n = typeof size === 'function' ? size() : size;
    const quota = owner.quota;
    throw new HoardError('QUOTA_EXCEEDED', `this account may keep ${formatBytes(quota)} (${quota} bytes) of files; this upload${n === undefined ? '' : ` of ${n} bytes`} would take it past that. Delete some files or go premium.`);
  }
}
