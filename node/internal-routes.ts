// /internal/ on a storage node: what the tracker (and hoard-admin) ask of a
// node's copies, with the cluster credential.
//
//   GET    /internal/blobs?after=&limit=      copies in id order (fsck)
//   GET    /internal/blobs/<id>               one copy, or 404
//   DELETE /internal/blobs/<id>[?minAge=s]    remove a copy the tracker no longer knows (GC, fsck)
//   POST   /internal/blobs/<id>/verify        read and check every chunk now
//   POST   /internal/blobs/<id>/copy-from     fetch a good copy from another node (repair)
//   GET    /internal/workers                  worker status
//   POST   /internal/workers/<name>/run       run a worker now
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { HoardError } from '../common/errors.js';
import { pathTail, readJson, sendJson } from '../common/http.js';
import type { BlobCheck, CopyFromAnswer, CopyFromRequest, NodeBlobEntry, NodeBlobPage, RemoveAnswer } from '../common/integrity.js';
import { AUTH_HEADER, NODE, SHA256_RE } from '../common/protocol.js';
import { bodyDigest, verifyClusterAuth } from '../common/sign.js';
import type { ChunkStore } from './chunk-store.js';
import type { NodeContext } from './context.js';
import type { Integrity } from './integrity.js';
import { nodeMetrics } from './metrics.js';

const EMPTY_DIGEST = bodyDigest('');
const MAX_PAGE = 1000;

export async function handleInternal(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const header = req.headers[AUTH_HEADER];
  // The MAC covers the request target exactly as sent; the digest vouches for the body.
  const digest = verifyClusterAuth(ctx.secret, req.method ?? '', req.url ?? '', typeof header === 'string' ? header : undefined);
  const integ = ctx.integrity;
  if (!integ) throw new HoardError('NOT_FOUND');
  const method = req.method ?? '';
  const path = url.pathname;
  const noBody = () => {
    if (digest !== EMPTY_DIGEST) throw new HoardError('UNAUTHORIZED', 'Credential was made for a request with a body');
  };

  if (path === NODE.internalBlobs) {
    allow(res, method, ['GET']);
    noBody();
    return listBlobs(integ, res, url);
  }
  if (path.startsWith(NODE.internalBlobs + '/')) {
    const [id = '', action, ...extra] = (pathTail(url, NODE.internalBlobs + '/') ?? '').split('/');
    if (!SHA256_RE.test(id) || extra.length > 0) throw new HoardError('NOT_FOUND');
    if (action === undefined) {
      allow(res, method, ['GET', 'DELETE']);
      noBody();
      if (method === 'GET') return sendJson(res, 200, await entryOf(integ.store, id, true));
      return removeCopy(integ, res, id, url);
    }
    if (action === 'verify') {
      allow(res, method, ['POST']);
      await readJson<unknown>(req, 1024, digest);
      return verifyCopy(integ, res, id);
    }
    if (action === 'copy-from') {
      allow(res, method, ['POST']);
      return copyFrom(integ, res, id, await readJson<unknown>(req, 16 * 1024, digest));
    }
    throw new HoardError('NOT_FOUND');
  }
  if (path === NODE.workers) {
    allow(res, method, ['GET']);
    noBody();
    return sendJson(res, 200, integ.workers?.status() ?? []);
  }
  if (path.startsWith(NODE.workers + '/')) {
    const [name = '', action, ...extra] = (pathTail(url, NODE.workers + '/') ?? '').split('/');
    if (action !== 'run' || extra.length > 0 || !integ.workers?.names().includes(name)) throw new HoardError('NOT_FOUND', `No worker named ${JSON.stringify(name)}`);
    allow(res, method, ['POST']);
    await readJson<unknown>(req, 1024, digest).catch((err: unknown) => {
      // An empty body is fine here; only a body the credential does not cover is not.
      if (err instanceof HoardError && err.code === 'BAD_REQUEST') return undefined;
      throw err;
    });
    return sendJson(res, 200, await integ.workers.run(name));
  }
  throw new HoardError('NOT_FOUND');
}

function allow(res: ServerResponse, method: string, methods: string[]): void {
  if (methods.includes(method)) return;
  res.setHeader('allow', methods.join(', '));
  throw new HoardError('METHOD_NOT_ALLOWED');
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

async function listBlobs(integ: Integrity, res: ServerResponse, url: URL): Promise<void> {
  const after = url.searchParams.get('after') ?? undefined;
  if (after !== undefined && !SHA256_RE.test(after)) throw new HoardError('BAD_REQUEST', 'after must be a blob id');
  const rawLimit = url.searchParams.get('limit') ?? String(MAX_PAGE);
  const limit = /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : 0;
  if (limit < 1 || limit > MAX_PAGE) throw new HoardError('BAD_REQUEST', `limit must be an integer in [1, ${MAX_PAGE}]`);
  const blobs: NodeBlobEntry[] = [];
  for (const id of await integ.store.listPage(after, limit)) {
    const e = await entryOf(integ.store, id, false);
    if (e) blobs.push(e);
  }
  const page: NodeBlobPage = { blobs };
  sendJson(res, 200, page);
}

/**
 * Removes a copy only if the tracker, asked under the blob's lock (so no
 * commit of it is in flight here), does not know the blob: an upload of the
 * same content that landed meanwhile keeps its bytes (409 COPY_IN_USE).
 */
async function removeCopy(integ: Integrity, res: ServerResponse, id: string, url: URL): Promise<void> {
  const rawAge = url.searchParams.get('minAge');
  const minAgeS = rawAge === null ? 0 : /^\d{1,10}$/.test(rawAge) ? Number(rawAge) : -1;
  if (minAgeS < 0) throw new HoardError('BAD_REQUEST', 'minAge must be a number of seconds');
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
    if (state !== 'unknown') throw new HoardError('COPY_IN_USE', `The tracker counts this copy as ${state ?? 'unanswered'}`);
    const removed = await integ.store.remove(id);
    await integ.store.dropQuarantined({ id });
    return { removed };
  });
  if (answer.removed) {
    nodeMetrics.copiesRemoved().inc();
    integ.log.info({ blob: id }, 'copy removed at the tracker\'s request');
  }
  sendJson(res, 200, answer);
}

async function verifyCopy(integ: Integrity, res: ServerResponse, id: string): Promise<void> {
  const check: BlobCheck | undefined = await integ.store.verify(id, { force: true });
  if (!check) throw new HoardError('BLOB_NOT_FOUND');
  if (check.bad.length > 0) await integ.corruption.handle(id, check.bad, 'verify');
  sendJson(res, 200, check);
}

function parseCopyFrom(v: unknown): CopyFromRequest {
  const o = v as Partial<CopyFromRequest> | null;
  if (typeof o !== 'object' || o === null || typeof o.source !== 'string' || !Number.isSafeInteger(o.size) || (o.size as number) < 0) {
    throw new HoardError('BAD_REQUEST', 'Body must be { source: URL, size: bytes }');
  }
  let u: URL;
  try {
    u = new URL(o.source);
  } catch {
    throw new HoardError('BAD_REQUEST', 'source is not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new HoardError('BAD_REQUEST', 'source must be http(s)');
  return { source: u.toString(), size: o.size as number };
}

/**
 * Fetches the blob from another node's signed URL into a fresh upload and
 * keeps it only if its SHA-256 (the blob id) and size match: a copy is
 * verified on arrival, whatever the source sent.
 */
async function copyFrom(integ: Integrity, res: ServerResponse, id: string, body: unknown): Promise<void> {
  const want = parseCopyFrom(body);
  const fetched = nodeMetrics.copiesFetched();
  const answer = await integ.locks.run(id, async (): Promise<CopyFromAnswer> => {
    if (await integ.store.has(id)) return { created: false, size: want.size };
    const writer = await integ.store.begin();
    try {
      const src = await request(want.source, { method: 'GET', headersTimeout: 30_000, bodyTimeout: 60_000 });
      if (src.statusCode !== 200) {
        const text = (await src.body.text()).slice(0, 200);
        throw new HoardError('UPSTREAM_FAILED', `Source answered ${src.statusCode}: ${text}`);
      }
      for await (const piece of src.body) {
        const wait = writer.write(piece as Buffer);
        if (wait) await wait;
      }
      const m = await writer.seal();
      if (m.id !== id || m.size !== want.size) {
        throw new HoardError('UPSTREAM_FAILED', `Source sent ${m.size} bytes with SHA-256 ${m.id}, not blob ${id} (${want.size} bytes)`);
      }
      const r = await writer.finish();
      // The repaired copy replaces any quarantined one.
      await integ.store.dropQuarantined({ id });
      return { created: r.created, size: m.size };
    } catch (err) {
      await writer.abort().catch(() => undefined);
      if (err instanceof HoardError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw err;
      throw new HoardError('UPSTREAM_FAILED', `Fetching the copy failed: ${(err as Error).message}`, { cause: err });
    }
  }).catch((err: unknown) => {
    fetched.inc({ result: 'failed' });
    throw err;
  });
  fetched.inc({ result: 'ok' });
  integ.log.info({ blob: id, size: answer.size, created: answer.created }, 'copy fetched from another node');
  sendJson(res, 200, answer);
}
