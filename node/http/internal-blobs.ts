// /internal/blobs on a storage node: everything the tracker (and hoard-admin)
// asks of this node's copies. The router has checked the cluster credential
// (method, path, time and body digest) before any of these runs. Removal and
// copy-in hold the blob's lock, shared with upload publishes.
//
//   GET    /internal/blobs?after=&limit=                copies in id order (reconcile, fsck)
//   GET    /internal/blobs/<id>                         one copy, or 404
//   DELETE /internal/blobs/<id>[?minAge=s][&unlisted=1] remove a copy the tracker does not count on (GC, fsck, drops)
//   POST   /internal/blobs/<id>/verify                  read and check every chunk now
//   POST   /internal/blobs/<id>/copy-from               copy in from another node (replication, repair)
import type { IncomingMessage, ServerResponse } from 'node:http';
import { wantsJob, type JobBook } from '../../common/jobs.js';
import { HoardError } from '../../common/protocol/errors.js';
import { readJson, sendJson } from '../../common/http.js';
import type { Matched, RouteHandler } from '../../common/router.js';
import type { BlobVerifyAnswer, CopyFromRequest, NodeBlobEntry, NodeBlobPage, RemoveAnswer } from '../../common/protocol/integrity.js';
import { SHA256_RE } from '../../common/protocol/ids.js';
import { copyFrom } from '../integrity/blob-copy.js';
import { isValidManifest, type ChunkStore } from '../store/chunk-store.js';
import type { Integrity } from '../integrity/integrity.js';
import { expectNoBody, readOptionalJson } from './internal-body.js';
import { nodeMetrics } from '../metrics.js';

const MAX_PAGE = 1000;
/** A manifest lists ~90 bytes per chunk: 32 MiB covers ~3 TiB at 8 MiB chunks (as the tracker's commit route). */
const COPY_BODY_LIMIT = 32 * 1024 * 1024;

type Handler = RouteHandler<unknown>;

/** The blob id of a route's `:id`; an id that is not one is a route that does not exist. */
function blobId(m: Matched<unknown>): string {
  const id = m.params.id!;
  if (!SHA256_RE.test(id)) throw new HoardError('NOT_FOUND');
  return id;
}

/** GET /internal/blobs */
export function listHandler(integ: Integrity): Handler {
  return async (_req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => {
    expectNoBody(m.bodyDigest);
    sendJson(res, 200, await listBlobs(integ.store, m.url));
  };
}

/** GET /internal/blobs/<id> */
export function statHandler(integ: Integrity): Handler {
  return async (_req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => {
    const id = blobId(m);
    expectNoBody(m.bodyDigest);
    sendJson(res, 200, await entryOf(integ.store, id, true));
  };
}

/** DELETE /internal/blobs/<id> */
export function removeHandler(integ: Integrity): Handler {
  return async (_req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => {
    const id = blobId(m);
    expectNoBody(m.bodyDigest);
    sendJson(res, 200, await removeCopy(integ, id, m.url));
  };
}

/** POST /internal/blobs/<id>/verify */
/** POST /internal/blobs/<id>/verify[?job=1]: the check's answer, or (job=1) a job to poll for it. */
export function verifyHandler(integ: Integrity, jobs: JobBook): Handler {
  return async (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => {
    const id = blobId(m);
    await readOptionalJson(req, m.bodyDigest, 1024);
    if (wantsJob(m.url)) {
      if (!(await integ.store.has(id))) throw new HoardError('BLOB_NOT_FOUND');
      sendJson(res, 202, jobs.start(`verify ${id}`, () => verifyCopy(integ, id)));
      return;
    }
    sendJson(res, 200, await verifyCopy(integ, id));
  };
}

/** POST /internal/blobs/<id>/copy-from; `reserve` is the free space the node keeps beyond the copy. */
export function copyFromHandler(integ: Integrity, reserve: number): Handler {
  return async (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => {
    const id = blobId(m);
    const want = parseCopyFrom(await readJson<unknown>(req, COPY_BODY_LIMIT, m.bodyDigest), id);
    sendJson(res, 200, await copyFrom(integ, reserve, want));
  };
}

async function entryOf(store: ChunkStore, id: string, required: true): Promise<NodeBlobEntry>;
async function entryOf(store: ChunkStore, id: string, required: false): Promise<NodeBlobEntry | undefined>;
async function entryOf(store: ChunkStore, id: string, required: boolean): Promise<NodeBlobEntry | undefined> {
  const b = await store.get(id);
  if (!b) {
    if (required) throw new HoardError('BLOB_NOT_FOUND');
    return undefined;
  }
  return { id, size: b.manifest.size, chunks: b.manifest.chunks.length, mtime: b.mtime.toISOString() };
}

async function listBlobs(store: ChunkStore, url: URL): Promise<NodeBlobPage> {
  const after = url.searchParams.get('after') ?? undefined;
  if (after !== undefined && !SHA256_RE.test(after)) throw new HoardError('BAD_REQUEST', 'after must be a blob id');
  const rawLimit = url.searchParams.get('limit') ?? String(MAX_PAGE);
  const limit = /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : 0;
  if (limit < 1 || limit > MAX_PAGE) throw new HoardError('BAD_REQUEST', `limit must be an integer in [1, ${MAX_PAGE}]`);
  const blobs: NodeBlobEntry[] = [];
  for (const id of await store.listPage(after, limit)) {
    const e = await entryOf(store, id, false);
    if (e) blobs.push(e); // removed meanwhile, or not a complete blob
  }
  return { blobs };
}

/**
 * Removes a copy only if the tracker, asked under the blob's lock (so no
 * publish and commit of it is in flight here), does not count on it: by default only a
 * blob it does not know at all (GC, orphans); with unlisted=1 also a known
 * blob it no longer lists this node for (a dropped or extra copy). A copy it
 * lists here is refused (409 COPY_IN_USE), whoever asks.
 */
async function removeCopy(integ: Integrity, id: string, url: URL): Promise<RemoveAnswer> {
  const rawAge = url.searchParams.get('minAge');
  const minAgeS = rawAge === null ? 0 : /^\d{1,10}$/.test(rawAge) ? Number(rawAge) : -1;
  if (minAgeS < 0) throw new HoardError('BAD_REQUEST', 'minAge must be a number of seconds');
  const rawUnlisted = url.searchParams.get('unlisted');
  if (rawUnlisted !== null && rawUnlisted !== '0' && rawUnlisted !== '1') throw new HoardError('BAD_REQUEST', 'unlisted must be 0 or 1');
  const removable = rawUnlisted === '1' ? ['unknown', 'unlisted'] : ['unknown'];
  const answer = await integ.locks.run(id, async (): Promise<RemoveAnswer> => {
    const blob = await integ.store.get(id);
    if (blob && integ.now() - blob.mtime.getTime() < minAgeS * 1000) {
      throw new HoardError('COPY_IN_USE', `Copy is younger than ${minAgeS} s`);
    }
    let state: string | undefined;
    try {
      state = (await integ.copies.held(integ.nodeId, [id]))[id];
    } catch (err) {
      throw new HoardError('UPSTREAM_FAILED', `Cannot confirm with the tracker: ${(err as Error).message}`, { cause: err });
    }
    if (state === undefined || !removable.includes(state)) throw new HoardError('COPY_IN_USE', `The tracker counts this copy as ${state ?? 'unanswered'}`);
    const removed = await integ.store.remove(id);
    await integ.store.dropQuarantined({ id });
    return { removed };
  });
  if (answer.removed) {
    nodeMetrics.copiesRemoved().inc();
    integ.log.info({ blob: id }, 'copy removed at the tracker\'s request');
  }
  return answer;
}

/** Re-reads every chunk (cache bypassed); a bad copy is quarantined and reported like any other. */
async function verifyCopy(integ: Integrity, id: string): Promise<BlobVerifyAnswer> {
  const blob = await integ.store.get(id);
  if (!blob) throw new HoardError('BLOB_NOT_FOUND');
  const check = await integ.store.verify(id, { force: true });
  if (!check) throw new HoardError('BLOB_NOT_FOUND');
  if (check.bad.length > 0) await integ.corruption.handle(id, check.bad, 'verify');
  const m = blob.manifest;
  return { ...check, md5: m.md5, sha256: m.sha256, size: m.size, chunkSize: m.chunkSize };
}

function parseCopyFrom(v: unknown, id: string): CopyFromRequest {
  const o = v as Partial<CopyFromRequest> | null;
  if (typeof o !== 'object' || o === null) throw new HoardError('BAD_REQUEST', 'body must be a JSON object');
  if (!isValidManifest(o.manifest, id)) throw new HoardError('BAD_REQUEST', 'manifest is missing, malformed or names another blob');
  const rate = o.rate ?? 0;
  if (typeof rate !== 'number' || !Number.isSafeInteger(rate) || rate < 0) throw new HoardError('BAD_REQUEST', 'rate must be a non-negative integer');
  let source: URL;
  try {
    source = new URL(String(o.source));
  } catch {
    throw new HoardError('BAD_REQUEST', 'source must be a URL');
  }
  if (source.protocol !== 'http:' && source.protocol !== 'https:') throw new HoardError('BAD_REQUEST', 'source must be an http(s) URL');
  return { source: source.toString(), manifest: o.manifest, rate };
}
