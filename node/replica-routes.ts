// /internal/replicas on a storage node: the tracker lists, copies in, verifies
// and drops copies here. Every call carries the cluster credential, checked
// against method, path, time and body digest.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError } from '../common/errors.js';
import { readJson, sendJson } from '../common/http.js';
import { AUTH_HEADER, NODE, SHA256_RE, type ReplicaList, type ReplicaPullRequest } from '../common/protocol.js';
import { bodyDigest, verifyClusterAuth } from '../common/sign.js';
import { isValidManifest } from './chunk-store.js';
import type { NodeContext } from './context.js';
import { pullReplica } from './replica-pull.js';
import { verifyReplica } from './replica-verify.js';

/** A manifest lists ~90 bytes per chunk: 32 MiB covers ~3 TiB at 8 MiB chunks (as the tracker's commit route). */
const PULL_BODY_LIMIT = 32 * 1024 * 1024;
const LIST_MAX = 10_000;
const EMPTY = bodyDigest('');

export function isReplicaPath(path: string): boolean {
  return path === NODE.replicas || path.startsWith(NODE.replicas + '/');
}

export async function handleReplicas(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const header = req.headers[AUTH_HEADER];
  const digest = verifyClusterAuth(ctx.secret, req.method ?? '', req.url ?? '', typeof header === 'string' ? header : undefined);
  const method = req.method ?? '';
  if (url.pathname === NODE.replicas) {
    if (method !== 'GET') throw notAllowed(res, 'GET');
    noBody(digest);
    sendJson(res, 200, await listReplicas(ctx, url));
    return;
  }
  const m = /^\/([0-9a-f]{64})(\/verify)?$/.exec(url.pathname.slice(NODE.replicas.length));
  if (!m) throw new HoardError('NOT_FOUND');
  const id = m[1]!;
  if (m[2]) {
    if (method !== 'POST') throw notAllowed(res, 'POST');
    noBody(digest);
    sendJson(res, 200, await verifyReplica(ctx, id));
    return;
  }
  if (method === 'PUT') {
    const body = await readJson<unknown>(req, PULL_BODY_LIMIT, digest);
    sendJson(res, 200, await pullReplica(ctx, parsePull(body, id)));
    return;
  }
  if (method === 'DELETE') {
    noBody(digest);
    const removed = await ctx.store.remove(id);
    if (removed) ctx.log.info({ blob: id }, 'replica dropped');
    sendJson(res, 200, { id, removed });
    return;
  }
  throw notAllowed(res, 'PUT, DELETE');
}

function noBody(digest: string): void {
  if (digest !== EMPTY) throw new HoardError('UNAUTHORIZED', 'Credential vouches for a body this call does not take');
}

function parsePull(v: unknown, id: string): ReplicaPullRequest {
  const o = v as Partial<ReplicaPullRequest> | null;
  if (typeof o !== 'object' || o === null) throw new HoardError('BAD_REQUEST', 'body must be a JSON object');
  if (!isValidManifest(o.manifest, id)) throw new HoardError('BAD_REQUEST', 'manifest is missing, malformed or names another blob');
  if (typeof o.rate !== 'number' || !Number.isSafeInteger(o.rate) || o.rate < 0) throw new HoardError('BAD_REQUEST', 'rate must be a non-negative integer');
  let source: URL;
  try {
    source = new URL(String(o.source));
  } catch {
    throw new HoardError('BAD_REQUEST', 'source must be a URL');
  }
  if (source.protocol !== 'http:' && source.protocol !== 'https:') throw new HoardError('BAD_REQUEST', 'source must be an http(s) URL');
  return { source: source.toString(), manifest: o.manifest, rate: o.rate };
}

/** Blob ids after `after`, in id order: the prefix folders are walked in order, each sorted. */
async function listReplicas(ctx: NodeContext, url: URL): Promise<ReplicaList> {
  const after = url.searchParams.get('after') ?? '';
  if (after !== '' && !SHA256_RE.test(after)) throw new HoardError('BAD_REQUEST', 'after must be a blob id');
  const rawLimit = url.searchParams.get('limit') ?? '1000';
  const limit = /^\d{1,5}$/.test(rawLimit) ? Number(rawLimit) : 0;
  if (limit < 1 || limit > LIST_MAX) throw new HoardError('BAD_REQUEST', `limit must be in [1, ${LIST_MAX}]`);
  const out: ReplicaList = { ids: [], mtimes: [] };
  const first = after === '' ? 0 : parseInt(after.slice(0, 2), 16);
  for (let p = first; p < 256 && out.ids.length < limit; p++) {
    const prefix = p.toString(16).padStart(2, '0');
    const ids: string[] = [];
    for await (const id of ctx.store.list(prefix)) if (id > after) ids.push(id);
    ids.sort();
    for (const id of ids) {
      if (out.ids.length >= limit) break;
      const blob = await ctx.store.get(id);
      if (!blob) continue; // removed meanwhile, or not a complete blob
      out.ids.push(id);
      out.mtimes.push(blob.mtime.getTime());
    }
  }
  return out;
}

function notAllowed(res: ServerResponse, allow: string): HoardError {
  res.setHeader('allow', allow);
  return new HoardError('METHOD_NOT_ALLOWED');
}
