// The node's calls to the tracker, all with the cluster credential (the
// registration rides the heartbeat stream: tracker-stream.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { isConnectionError } from '../../common/cli.js';
import { callJson } from '../../common/client.js';
import { RemoteError } from '../../common/protocol/errors.js';
import { TRACKER } from '../../common/protocol/routes.js';
import { type CommitRequest, type CommitResponse, type Heartbeat } from '../../common/protocol/types.js';
import { TUS_TRACKER } from '../../common/protocol/routes.js';
import type { FollowerReplaceAnswer, FollowerReplaceRequest, PeerNode } from '../../common/protocol/pipeline.js';
import type { TrackerSet } from './tracker-set.js';
import { type CommitProvenRequest, type ProofVerifyRequest, type ProofVerifyResponse } from '../../common/protocol/types.js';

export interface TrackerApi {
  /** Rejects with RemoteError 404 NODE_NOT_FOUND when the tracker does not know this node. */
  heartbeat(beat: Heartbeat): Promise<void>;
  commit(req: CommitRequest): Promise<CommitResponse>;
  /** Passes on a client's proof of possession (single use at the tracker). */
  verifyProof(req: ProofVerifyRequest): Promise<ProofVerifyResponse>;
  /** A new link to the blob the upload proved it holds (early stop). */
  commitProven(req: CommitProvenRequest): Promise<CommitResponse>;
  /** Another node for a write pipeline whose follower failed (RemoteError 503 PIPELINE_FAILED when none). */
  replaceFollower(req: FollowerReplaceRequest): Promise<PeerNode>;
}

export interface CommitRetry {
  /** How long a commit keeps trying while the tracker cannot be reached (a restart). */
  windowMs: number;
  backoffMs: readonly number[];
}

export const COMMIT_RETRY: CommitRetry = { windowMs: 30_000, backoffMs: [100, 250, 500, 1000, 2000] };

/** The tracker is away (restarting, or a proxy in front of it is): trying again may work. */
function retryable(err: unknown): boolean {
  if (err instanceof RemoteError) return err.status === 502 || err.status === 503 || err.status === 504;
  return isConnectionError(err);
}

/** Heartbeats go to one tracker each: every tracker keeps its own view of the node's liveness. */
export function heartbeatClient(base: string, secret: string): Pick<TrackerApi, 'heartbeat'> {
  return {
    async heartbeat(beat) {
      await callJson<unknown>(base, 'POST', TRACKER.heartbeat, { secret, body: beat, timeoutMs: 5_000 });
    },
  };
}

/**
 * Calls go to whichever tracker of the set answers (tracker-set.ts); the
 * heartbeat loops use heartbeatClient, one per tracker.
 */
export function trackerClient(trackers: TrackerSet, secret: string, retry: CommitRetry = COMMIT_RETRY): TrackerApi {
  return {
    heartbeat: (beat) => trackers.call((base) => heartbeatClient(base, secret).heartbeat(beat)),
    async commit(req) {
      // A tracker restart must not fail an upload whose bytes are already durable here:
      // keep trying for a while. A retry after a commit that did land only adds a second link.
      const deadline = Date.now() + retry.windowMs;
      for (let attempt = 0; ; attempt++) {
        try {
          return await trackers.call((base) => callJson<CommitResponse>(base, 'POST', TRACKER.commit, { secret, body: req, timeoutMs: 30_000 }));
        } catch (err) {
          const pause = retry.backoffMs[Math.min(attempt, retry.backoffMs.length - 1)]!;
          if (!retryable(err) || Date.now() + pause > deadline) throw err;
          await sleep(pause);
        }
      }
    },
    verifyProof(req) {
      return trackers.call((base) => callJson<ProofVerifyResponse>(base, 'POST', TUS_TRACKER.verifyProof, { secret, body: req, timeoutMs: 30_000 }));
    },
    async replaceFollower(req) {
      const answer = await trackers.call((base) => callJson<FollowerReplaceAnswer>(base, 'POST', TRACKER.pipelineReplace, { secret, body: req, timeoutMs: 10_000 }));
      return answer.follower;
    },
    commitProven(req) {
      return trackers.call((base) => callJson<CommitResponse>(base, 'POST', TUS_TRACKER.commitProven, { secret, body: req, timeoutMs: 30_000 }));
    },
  };
}
