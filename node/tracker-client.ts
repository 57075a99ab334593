// The node's calls to the tracker, all with the cluster credential.
import { callJson } from '../common/client.js';
import { TRACKER, type CommitRequest, type CommitResponse, type Heartbeat, type NodeRegistration } from '../common/protocol.js';
import { TUS_TRACKER, type CommitProvenRequest, type ProofVerifyRequest, type ProofVerifyResponse } from '../common/tus.js';

export interface TrackerApi {
  register(reg: NodeRegistration): Promise<void>;
  /** Rejects with RemoteError 404 NODE_NOT_FOUND when the tracker does not know this node. */
  heartbeat(beat: Heartbeat): Promise<void>;
  commit(req: CommitRequest): Promise<CommitResponse>;
  /** Passes on a client's proof of possession (single use at the tracker). */
  verifyProof(req: ProofVerifyRequest): Promise<ProofVerifyResponse>;
  /** A new link to the blob the upload proved it holds (early stop). */
  commitProven(req: CommitProvenRequest): Promise<CommitResponse>;
}

export function trackerClient(base: string, secret: string): TrackerApi {
  return {
    async register(reg) {
      await callJson<unknown>(base, 'POST', TRACKER.register, { secret, body: reg, timeoutMs: 5_000 });
    },
    async heartbeat(beat) {
      await callJson<unknown>(base, 'POST', TRACKER.heartbeat, { secret, body: beat, timeoutMs: 5_000 });
    },
    commit(req) {
      return callJson<CommitResponse>(base, 'POST', TRACKER.commit, { secret, body: req, timeoutMs: 30_000 });
    },
    verifyProof(req) {
      return callJson<ProofVerifyResponse>(base, 'POST', TUS_TRACKER.verifyProof, { secret, body: req, timeoutMs: 30_000 });
    },
    commitProven(req) {
      return callJson<CommitResponse>(base, 'POST', TUS_TRACKER.commitProven, { secret, body: req, timeoutMs: 30_000 });
    },
  };
}
