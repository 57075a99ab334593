// Authenticated calls with any method, to the tracker or to a node, for the
// admin commands that change things (the read-only ones use options.ts).
// A server that cannot be reached is named as what it is: the tracker
// (TRACKER_UNREACHABLE) or a node (NODE_UNREACHABLE).
import { userInfo } from 'node:os';
import { CliError, reaching } from '../../common/cli.js';
import { ACTOR_HEADER, ACTOR_RE } from '../../common/protocol/takedowns.js';
import { callJson } from '../../common/client.js';
import { adminTrackers, elsewhere, resolveSecret, type AdminArgs } from './options.js';

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
  /** The tracker the last call reached (the first before any). */
  readonly tracker: string;
  /** A call to the tracker. */
  call<T>(method: string, pathAndQuery: string, opts?: CallOpts): Promise<T>;
  /** A call to a node's /internal/ routes. */
  callNode<T>(node: NodeRef, method: string, pathAndQuery: string, opts?: CallOpts): Promise<T>;
}

/** How an error message names the tracker or a node. */
export const trackerName = (url: string) => `the tracker at ${url}`;
export const nodeName = (node: NodeRef) => `node ${node.id} at ${node.publicUrl}`;

/**
 * Who the operator is, for the tracker's audit log: HOARD_ADMIN_NAME, else
 * the login name (the cluster credential says only that they hold it).
 */
export function actorName(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.HOARD_ADMIN_NAME;
  if (named !== undefined && named !== '') {
    if (!ACTOR_RE.test(named)) throw new CliError('BAD_ARGUMENT', 'HOARD_ADMIN_NAME must be 1-64 of letters, digits and ._@- (starting with a letter or digit)');
    return named;
  }
  let login = '';
  try {
    login = userInfo().username;
  } catch {
    // No login name (a container without a passwd entry): the tracker records "operator".
  }
  return ACTOR_RE.test(login) ? login : 'operator';
}

export function adminCaller(args: AdminArgs): AdminCaller {
  const trackers = adminTrackers(args);
  const secret = resolveSecret(args);
  const headers = { [ACTOR_HEADER]: actorName() };
  const send = <T>(base: string, method: string, pathAndQuery: string, opts: CallOpts) =>
    callJson<T>(base, method, pathAndQuery, { secret, headers, body: opts.body, timeoutMs: opts.timeoutMs ?? 30_000 });
  return {
    get tracker() {
      return trackers.current;
    },
    // A job started at one tracker is polled there: the list moves on only when that one cannot be reached.
    call: (method, path, opts = {}) => trackers.call((base) => send(base, method, path, opts), elsewhere),
    callNode: (node, method, path, opts = {}) => reaching(nodeName(node), () => send(node.publicUrl, method, path, opts), 'node'),
  };
}
