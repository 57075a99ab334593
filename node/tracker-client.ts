// The node's calls to the tracker, all with the cluster credential.
import { callJson } from '../common/client.js';
import { TRACKER, type CommitRequest, type CommitResponse, type Heartbeat, type NodeRegistration } from '../common/protocol.js';

export interface TrackerApi {
  register(reg: NodeRegistration): Promise<void>;
  /** Rejects with RemoteError 404 NODE_NOT_FOUND when the tracker does not know this node. */
  heartbeat(beat: Heartbeat): Promise<void>;
  commit(req: CommitRequest): Promise<CommitResponse>;
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
  };
}
