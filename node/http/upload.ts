// PUT /upload/<filename>?exp=&sig= : stream the body into the chunk store,
// make it durable, commit it to the tracker, answer 201 UploadResult.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError, toHoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { NODE } from '../../common/protocol/routes.js';
import { type CommitResponse, type UploadResult } from '../../common/protocol/types.js';
import { verifyClaims } from '../../common/sign.js';
import type { ChunkWriter } from '../store/chunk-store.js';
import type { NodeContext } from '../context.js';
import { checkFilename, decodeFilename } from '../../common/protocol/filename.js';
import { KeyedLock } from '../../common/keyed-lock.js';
import { pump } from '../upload/body-pump.js';

/** What the checks before the body found. */
export interface UploadPlan {
  filename: string;
  /** Content-Length, or undefined for a chunked body. */
  declared: number | undefined;
}

export interface UploadHandler {
  /** Signature, name, length and space checks; run before the body is read (also for `Expect: 100-continue`). */
  precheck(req: IncomingMessage, url: URL): Promise<UploadPlan>;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/** How long a refused body is read and dropped so the client sees the answer before the socket closes. */
const LINGER_MS = 5_000;

// One finish-and-commit at a time per blob, across plain and resumable uploads:
// a failed commit may remove the dir another upload would rely on.
const commitLock = new KeyedLock();
// Shared with copy removal and repair (node/integrity.ts) when the node runs them.
const lockFor = (ctx: NodeContext): KeyedLock => ctx.integrity?.locks ?? commitLock;

/** Publishes a sealed writer's blob and commits it (resumable uploads name their upload id). */
export async function commitUpload(ctx: NodeContext, writer: ChunkWriter, filename: string, uploadId?: string): Promise<UploadResult> {
  const { id } = await writer.seal();
  return lockFor(ctx).run(id, () => finishAndCommit(ctx, writer, filename, uploadId));
}

interface Active {
  declared: number;
  writer?: ChunkWriter;
}

export function createUploadHandler(ctx: NodeContext): UploadHandler {
  const { store, limits, log } = ctx;
  const active = new Set<Active>();
  const checked = new WeakMap<IncomingMessage, UploadPlan>();

  /** Space other uploads in flight have announced but not written yet. */
  const promised = () => {
    let n = 0;
    for (const a of active) n += Math.max(0, a.declared - (a.writer?.bytes ?? 0));
    return n;
  };

  async function precheck(req: IncomingMessage, url: URL): Promise<UploadPlan> {
    const seen = checked.get(req);
    if (seen) return seen;
    const filename = decodeFilename(url.pathname.slice(NODE.upload.length));
    const exp = Number(url.searchParams.get('exp'));
    verifyClaims(ctx.secret, { verb: 'PUT', resource: filename, exp, extra: '' }, url.searchParams.get('sig'));
    checkFilename(filename);

    const cl = req.headers['content-length'];
    let declared: number | undefined;
    if (cl !== undefined) {
      if (!/^\d{1,16}$/.test(cl)) throw new HoardError('BAD_REQUEST', 'Content-Length is not a number');
      declared = Number(cl);
      if (declared > limits.maxUploadSize) {
        throw new HoardError('PAYLOAD_TOO_LARGE', `Upload of ${declared} bytes is over the limit of ${limits.maxUploadSize}`);
      }
      const { freeBytes } = await store.space();
      if (declared > freeBytes - limits.reserve - promised()) throw new HoardError('INSUFFICIENT_STORAGE');
    } else if (!req.headers['transfer-encoding']) {
      throw new HoardError('LENGTH_REQUIRED');
    }
    const plan = { filename, declared };
    checked.set(req, plan);
    return plan;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let plan: UploadPlan;
    try {
      plan = await precheck(req, url);
    } catch (err) {
      refuse(req, res, err);
      return;
    }
    const entry: Active = { declared: plan.declared ?? 0 };
    active.add(entry);
    let writer: ChunkWriter | undefined;
    let sealedId: string;
    try {
      writer = await store.begin();
      entry.writer = writer;
      await receive(req, writer, plan, ctx);
      sealedId = (await writer.seal()).id;
    } catch (err) {
      active.delete(entry);
      await writer?.abort().catch((e: unknown) => log.error({ err: e }, 'cannot remove an aborted upload'));
      refuse(req, res, err);
      return;
    }
    active.delete(entry);
    const w = writer;
    // An id for this upload makes the commit idempotent: a retry after a lost answer gets the same link.
    const uploadId = randomBytes(16).toString('base64url');
    const result = await lockFor(ctx).run(sealedId, () => finishAndCommit(ctx, w, plan.filename, uploadId));
    sendJson(res, 201, result);
  }

  function refuse(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const e = toHoardError(err);
    // A full disk is an operating condition, not a bug: no stack trace.
    if (e.code === 'INSUFFICIENT_STORAGE') log.warn({ code: e.code, cause: (e.cause as Error | undefined)?.message }, e.message);
    else if (e.status >= 500) log.error({ err: e.cause ?? e, code: e.code }, e.message);
    else log.debug({ code: e.code }, e.message);
    if (res.headersSent) {
      res.destroy(e);
      return;
    }
    sendJson(res, e.status, e.toJSON());
    lingerDrain(req);
  }

  return { precheck, handle };
}

async function finishAndCommit(ctx: NodeContext, writer: ChunkWriter, filename: string, uploadId?: string): Promise<UploadResult> {
  const { manifest, created } = await writer.publish();
  let answer: CommitResponse;
  try {
    answer = await ctx.tracker.commit(uploadId === undefined ? { nodeId: ctx.nodeId, filename, manifest } : { nodeId: ctx.nodeId, filename, manifest, uploadId });
  } catch (err) {
    if (created) await removeQuietly(ctx, manifest.id);
    throw new HoardError('UPSTREAM_FAILED', `Tracker commit failed: ${(err as Error).message}`, { cause: err });
  }
  if (answer.dedup && created && !answer.nodes.includes(ctx.nodeId)) {
    // The content is already held elsewhere; that copy is the one the link uses.
    await removeQuietly(ctx, manifest.id);
  }
  return { link: answer.link, id: answer.id, md5: manifest.md5, sha256: manifest.sha256, size: manifest.size, dedup: answer.dedup };
}

async function removeQuietly(ctx: NodeContext, id: string): Promise<void> {
  try {
    await ctx.store.remove(id);
  } catch (err) {
    ctx.log.error({ err, id }, 'cannot remove blob');
  }
}

/**
 * Moves the body into the writer. Rejects with BODY_INCOMPLETE when the body
 * ends short of its Content-Length or the client goes away, PAYLOAD_TOO_LARGE
 * over the limit, REQUEST_TIMEOUT below the rate floor, or the writer's error.
 */
async function receive(req: IncomingMessage, writer: ChunkWriter, plan: UploadPlan, ctx: NodeContext): Promise<void> {
  const limit = Math.min(plan.declared ?? Infinity, ctx.limits.maxUploadSize);
  await pump(req, writer, { limit, limits: ctx.limits });
  if (plan.declared !== undefined && writer.bytes !== plan.declared) throw new HoardError('BODY_INCOMPLETE');
}

/**
 * After an early answer, keeps reading and dropping the body for a while:
 * closing a socket with unread input makes the kernel send RST, which can
 * destroy the answer before the client reads it.
 */
export function lingerDrain(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
  timer.unref();
  const clear = () => clearTimeout(timer);
  req.once('end', clear);
  req.once('close', clear);
  req.on('error', () => undefined);
  req.resume();
}
