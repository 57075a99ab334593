// The tracker's calls to storage nodes, with the cluster credential: resumable
// uploads and proofs, and the one client of a node's /internal/blobs API
// (list, stat, remove, verify, copy-from) that replication, repair, GC and
// fsck all use.
import { callJson } from '../../common/client.js';
import { RemoteError } from '../../common/protocol/errors.js';
import type { BlobVerifyAnswer, CopyFromAnswer, CopyFromRequest, NodeBlobEntry, NodeBlobPage, RemoveAnswer } from '../../common/protocol/integrity.js';
import { NODE } from '../../common/protocol/routes.js';
import { type NodeStatus } from '../../common/protocol/types.js';
import type { Challenge } from '../../common/protocol/proof.js';
import { TUS_NODE } from '../../common/protocol/routes.js';
import { type ProofComputeRequest, type ProofComputeResponse, type TusCreateRequest, type TusCreateResponse, type TusUploadInfo } from '../../common/protocol/types.js';

export function createUploadOnNode(nodeUrl: string, secret: string, req: TusCreateRequest, timeoutMs = 10_000): Promise<TusCreateResponse> {
  return callJson<TusCreateResponse>(nodeUrl, 'POST', TUS_NODE.create, { secret, body: req, timeoutMs });
}

/** How far a resumable upload on a node got (to join partial uploads into a final one). */
export function uploadInfoOnNode(nodeUrl: string, secret: string, uploadId: string): Promise<TusUploadInfo> {
  return callJson<TusUploadInfo>(nodeUrl, 'GET', TUS_NODE.part + uploadId, { secret });
}

export async function proofFromNode(nodeUrl: string, secret: string, blobId: string, uploadId: string, challenge: Challenge): Promise<string> {
  const body: ProofComputeRequest = { blobId, uploadId, challenge };
  const out = await callJson<ProofComputeResponse>(nodeUrl, 'POST', TUS_NODE.proof, { secret, body, timeoutMs: 30_000 });
  return out.proof;
}

export type RemoveOutcome = RemoveAnswer | { inUse: string };

export interface RemoveOptions {
  /** Refuse a copy younger than this many seconds. */
  minAgeS?: number;
  /** Also remove a copy of a known blob the index does not list on this node (a dropped or extra copy). */
  unlisted?: boolean;
}

export interface NodeApi {
  /** Copies in id order after `after`. */
  list(after: string | undefined, limit: number): Promise<NodeBlobEntry[]>;
  /** One copy, or undefined when the node lacks it. */
  stat(id: string): Promise<NodeBlobEntry | undefined>;
  /** Asks the node to remove a copy; it refuses (inUse) while the tracker still counts on it or it is younger than minAgeS. */
  remove(id: string, opts?: RemoveOptions): Promise<RemoveOutcome>;
  /** Reads and checks every chunk now (a bad copy is quarantined and reported); undefined when the node lacks the blob. */
  verify(id: string): Promise<BlobVerifyAnswer | undefined>;
  /** The node fetches the blob from `req.source` and keeps it only if it matches the manifest chunk for chunk. */
  copyFrom(id: string, req: CopyFromRequest, timeoutMs: number): Promise<CopyFromAnswer>;
}

export type NodeApiFactory = (node: Pick<NodeStatus, 'id' | 'publicUrl'>) => NodeApi;

const notFound = (err: unknown) => err instanceof RemoteError && err.status === 404;

export function nodeApiFactory(secret: string): NodeApiFactory {
  return (node) => {
    const base = node.publicUrl;
    const blobPath = (id: string) => `${NODE.internalBlobs}/${id}`;
    return {
      async list(after, limit) {
        const q = new URLSearchParams({ limit: String(limit) });
        if (after) q.set('after', after);
        return (await callJson<NodeBlobPage>(base, 'GET', `${NODE.internalBlobs}?${q}`, { secret, timeoutMs: 60_000 })).blobs;
      },
      async stat(id) {
        try {
          return await callJson<NodeBlobEntry>(base, 'GET', blobPath(id), { secret });
        } catch (err) {
          if (notFound(err)) return undefined;
          throw err;
        }
      },
      async remove(id, opts = {}) {
        const q = new URLSearchParams();
        if (opts.minAgeS) q.set('minAge', String(opts.minAgeS));
        if (opts.unlisted) q.set('unlisted', '1');
        const query = q.size > 0 ? `?${q}` : '';
        try {
          return await callJson<RemoveAnswer>(base, 'DELETE', blobPath(id) + query, { secret, timeoutMs: 30_000 });
        } catch (err) {
          if (err instanceof RemoteError && err.code === 'COPY_IN_USE') return { inUse: err.message };
          throw err;
        }
      },
      async verify(id) {
        try {
          return await callJson<BlobVerifyAnswer>(base, 'POST', `${blobPath(id)}/verify`, { secret, body: {}, timeoutMs: 600_000 });
        } catch (err) {
          if (notFound(err)) return undefined;
          throw err;
        }
      },
      copyFrom(id, req, timeoutMs) {
        return callJson<CopyFromAnswer>(base, 'POST', `${blobPath(id)}/copy-from`, { secret, body: req, timeoutMs });
      },
    };
  };
}
