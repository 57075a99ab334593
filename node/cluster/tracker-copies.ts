// The node's calls to the tracker about its copies: report a bad one, and ask
// which ones the tracker counts on (before removing any). Cluster credential.
import { callJson } from '../../common/client.js';
import type { BadCopyAnswer, BadCopyReport, CopiesHeldResponse, CopyState } from '../../common/protocol/integrity.js';
import { TRACKER } from '../../common/protocol/routes.js';
import type { TrackerSet } from './tracker-set.js';

export interface CopiesApi {
  reportBad(report: BadCopyReport): Promise<BadCopyAnswer>;
  /** The tracker's view of this node's copies of `ids` (at most COPIES_HELD_MAX). */
  held(nodeId: string, ids: string[]): Promise<Record<string, CopyState>>;
}

export function copiesClient(trackers: TrackerSet, secret: string): CopiesApi {
  return {
    reportBad(report) {
      return trackers.call((base) => callJson<BadCopyAnswer>(base, 'POST', TRACKER.copyBad, { secret, body: report, timeoutMs: 5_000 }));
    },
    async held(nodeId, ids) {
      const r = await trackers.call((base) => callJson<CopiesHeldResponse>(base, 'POST', TRACKER.copiesHeld, { secret, body: { nodeId, ids }, timeoutMs: 15_000 }));
      return r.copies;
    },
  };
}
