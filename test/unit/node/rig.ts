// Real nodes for the node's unit tests: composed as hoard-node composes them
// (node/compose.ts), over a temp folder, with a stand-in tracker.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { loadConfig } from '../../../common/config.js';
import { listen } from '../../../common/http.js';
import { createLogger } from '../../../common/log.js';
import type { CommitRequest, CommitResponse } from '../../../common/protocol/types.js';
import { NODE_SPEC, type NodeConfig } from '../../../node/config.js';
import { composeNode, type ComposedNode } from '../../../node/compose.js';
import type { TrackerApi } from '../../../node/cluster/tracker-client.js';
import type { CopiesApi } from '../../../node/cluster/tracker-copies.js';

export const SECRET = 'test-secret-0123456789';
export const silent = createLogger('node', 'silent');

/** A node's settings as the flags would give them (the environment is left out). */
export function nodeConfig(dir: string, flags: Record<string, unknown> = {}): NodeConfig {
  // No reserve unless a test asks: a busy /tmp must not refuse uploads meant to pass.
  return loadConfig(NODE_SPEC, { tracker: 'http://127.0.0.1:9', data: dir, secret: SECRET, id: 'node-a', reserve: 0, ...flags }, undefined, {});
}

/** A tracker that takes every commit (or answers with `commit`), and refuses what a test does not expect. */
export function standInTracker(commit?: (req: CommitRequest) => Promise<CommitResponse>): { api: TrackerApi; commits: CommitRequest[] } {
  const commits: CommitRequest[] = [];
  let links = 0;
  const api: TrackerApi = {
    heartbeat: () => Promise.reject(new Error('not in this test')),
    async commit(req) {
      commits.push(req);
      if (commit) return commit(req);
      const dedup = commits.slice(0, -1).some((c) => c.manifest.id === req.manifest.id);
      return { link: `http://tracker/f/link${++links}`, id: `link${links}`, dedup, nodes: [req.nodeId] };
    },
    verifyProof: () => Promise.reject(new Error('not in this test')),
    commitProven: () => Promise.reject(new Error('not in this test')),
    replaceFollower: () => Promise.reject(new Error('not in this test')),
  };
  return { api, commits };
}

/** Copies the tracker knows nothing of (removal allowed); bad-copy reports are kept. */
export function unknownCopies(): CopiesApi {
  return {
    reportBad: async () => ({ recorded: true }),
    held: async (_node, ids) => Object.fromEntries(ids.map((id) => [id, 'unknown' as const])),
  };
}

export interface NodeRigOptions {
  flags?: Record<string, unknown>;
  tracker?: TrackerApi;
  copies?: CopiesApi;
  rateWindowMs?: number;
}

export interface NodeRig {
  node: ComposedNode;
  dir: string;
  base: string;
  port: number;
}

/** Composes a node in a temp folder and listens on 127.0.0.1; all of it goes at teardown. */
export async function startNode(t: Test, opts: NodeRigOptions = {}): Promise<NodeRig> {
  const dir = await mkdtemp(join(tmpdir(), 'hoard-node-'));
  const node = await composeNode(nodeConfig(dir, opts.flags), {
    log: silent,
    tracker: opts.tracker ?? standInTracker().api,
    copies: opts.copies ?? unknownCopies(),
    rateWindowMs: opts.rateWindowMs,
  });
  const port = await listen(node.server, 0, '127.0.0.1');
  t.teardown(async () => {
    node.server.closeAllConnections();
    await new Promise<void>((r) => node.server.close(() => r()));
    await node.stopWork();
    await node.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { node, dir, base: `http://127.0.0.1:${port}`, port };
}
