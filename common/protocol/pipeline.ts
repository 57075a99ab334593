// The write pipeline's wire contract. An upload acknowledged only once it is
// durable on `ackCopies` nodes in distinct zones streams its bytes, as they
// arrive at the first node, to one follower per further copy. The tracker
// names the followers: in the signed PUT URL (`pipe`, with its own signature
// `psig` bound to the URL's), or in the tus creation it sends the first node.
// Node to node, the follower takes the stream at PUT /internal/pipeline/<key>
// (routes.ts) and publishes it only when the first node's final manifest
// matches every chunk it wrote (POST /internal/pipeline/<key>/publish).
import { NODE_ID_RE, UPLOAD_ID_RE } from './ids.js';
import type { BlobManifest, PeerNode } from './types.js';

export type { PeerNode };

/** Query parameters of a PUT URL that carries a pipeline. */
export const PIPE_PARAM = 'pipe';
export const PIPE_SIG_PARAM = 'psig';

/** More followers than any sensible quorum (the tracker's ackCopies is at most replicas, at most 16). */
export const MAX_FOLLOWERS = 15;

/** Pipeline keys are upload ids: a PUT's own, or the tus upload's. */
export const PIPELINE_KEY_RE = UPLOAD_ID_RE;

/** The followers as the `pipe` parameter carries them. */
export function formatFollowers(list: readonly PeerNode[]): string {
  return JSON.stringify(list.map(({ id, url }) => ({ id, url })));
}

function isPeerUrl(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > 2048 || !URL.canParse(v)) return false;
  const u = new URL(v);
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.search === '' && u.hash === '';
}

/** A list of followers from JSON, shape-checked; undefined when malformed. */
export function parseFollowerList(v: unknown): PeerNode[] | undefined {
  if (!Array.isArray(v) || v.length > MAX_FOLLOWERS) return undefined;
  const out: PeerNode[] = [];
  for (const item of v as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { id, url } = item as Record<string, unknown>;
    if (typeof id !== 'string' || !NODE_ID_RE.test(id) || !isPeerUrl(url)) return undefined;
    if (out.some((p) => p.id === id)) return undefined;
    out.push({ id, url: url.replace(/\/$/, '') });
  }
  return out;
}

/** The `pipe` parameter's followers; undefined when malformed. */
export function parseFollowers(raw: string): PeerNode[] | undefined {
  try {
    return parseFollowerList(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/** PUT /internal/pipeline/<key>?chunkSize=[&length=]: the answer once the stream ended, the bytes the follower holds. */
export interface FollowerReceived {
  bytes: number;
}

/** POST /internal/pipeline/<key>/publish: the first node's manifest, to be matched chunk for chunk. */
export interface FollowerPublishRequest {
  manifest: BlobManifest;
}

export interface FollowerPublishAnswer {
  id: string;
  /** False when the node already held the blob (the stream's bytes were dropped). */
  created: boolean;
}

/** node → tracker: a follower failed; another node, in a zone no copy of this upload is in, to take its place. */
export interface FollowerReplaceRequest {
  /** The first node (asking). */
  nodeId: string;
  /** The upload's size. */
  size: number;
  /** Followers that hold the upload (their zones are taken). */
  keep: string[];
  /** Nodes that failed this upload: never chosen again. */
  failed: string[];
}

/** A replacement; when none can be had the tracker answers 503 PIPELINE_FAILED instead. */
export interface FollowerReplaceAnswer {
  follower: PeerNode;
}
