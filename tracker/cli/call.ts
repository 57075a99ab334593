// Authenticated calls with any method, to the tracker or to a node, for the
// admin commands that change things (the read-only ones use options.ts).
// A server that cannot be reached is named as what it is: the tracker
// (TRACKER_UNREACHABLE) or a node (NODE_UNREACHABLE).
import { reaching, trackerUrl } from '../../common/cli.js';
import { callJson } from '../../common/client.js';
import { resolveSecret, type AdminArgs } from './options.js';

export interface CallOpts {
  body?: unknown;
  timeoutMs?: number;
}

/** A storage node as the admin CLI reaches it: its id and URL, from the tracker's node list. */
export interface NodeRef {
  id: string;
  publicUrl: string;
}

export interface AdminCaller {
  tracker: string;
  /** A call to the tracker. */
  call<T>(method: string, pathAndQuery: string, opts?: CallOpts): Promise<T>;
  /** A call to a node's /internal/ routes. */
  callNode<T>(node: NodeRef, method: string, pathAndQuery: string, opts?: CallOpts): Promise<T>;
}

/** How an error message names the tracker or a node. */
export const trackerName = (url: string) => `the tracker at ${url}`;
export const nodeName = (node: NodeRef) => `node ${node.id} at ${node.publicUrl}`;

export function adminCaller(args: AdminArgs): AdminCaller {
  const tracker = trackerUrl(args.tracker);
  const secret = resolveSecret(args);
  const send = <T>(base: string, method: string, pathAndQuery: string, opts: CallOpts) =>
    callJson<T>(base, method, pathAndQuery, { secret, body: opts.body, timeoutMs: opts.timeoutMs ?? 30_000 });
  return {
    tracker,
    call: (method, path, opts = {}) => reaching(trackerName(tracker), () => send(tracker, method, path, opts), 'tracker'),
    callNode: (node, method, path, opts = {}) => reaching(nodeName(node), () => send(node.publicUrl, method, path, opts), 'node'),
  };
}
