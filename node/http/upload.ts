// PUT /upload/<filename>?exp=&sig=[&pipe=&psig=] : stream the body into the
// chunk store (and, under a write quorum, on to the followers the URL names),
// then publish it on disk and commit it at the tracker, answer 201
// UploadResult.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError, toHoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { NODE } from '../../common/protocol/routes.js';
import type { UploadResult } from '../../common/protocol/types.js';
import { expOf, pipelineOf, verifyUploadUrl, type UploadBinding } from '../../common/sign.js';
import type { PeerNode } from '../../common/protocol/pipeline.js';
import { WritePipeline } from '../upload/pipeline.js';
import { decodeFilename } from '../../common/protocol/filename.js';
import type { ChunkWriter } from '../store/chunk-store.js';
import { pump } from '../upload/body-pump.js';
import type { Claim } from '../upload/admission.js';
import { lingerDrain } from '../upload/linger.js';
import { SpentUrls } from '../upload/spent-urls.js';
import type { NodeContext } from '../context.js';

/** What the checks before the body found. */
export interface UploadPlan {
  filename: string;
  /** Content-Length, or undefined for a chunked body. */
  declared: number | undefined;
  /** What the signed URL allows: its upload id (the commit's too), and the exact size when one was declared to the tracker. */
  binding: UploadBinding;
  /** The URL's expiry, unix seconds. */
  exp: number;
  /** The write pipeline's followers the signed URL names (none: one copy acknowledges). */
  followers: PeerNode[];
}

export interface UploadRoute {
  /** Signature, name, length and admission checks; run before the body is read (also for `Expect: 100-continue`). */
  precheck(req: IncomingMessage, url: URL): Promise<UploadPlan>;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export function uploadRoute(ctx: NodeContext): UploadRoute {
  const { store, limits, log, admission, publisher } = ctx;
  const checked = new WeakMap<IncomingMessage, UploadPlan>();
  const spent = new SpentUrls();

  async function precheck(req: IncomingMessage, url: URL): Promise<UploadPlan> {
    const seen = checked.get(req);
    if (seen) return seen;
    // The name as sent: its own check answers bad encoding (FILENAME_INVALID).
    const filename = decodeFilename(url.pathname.slice(NODE.upload.length));
    const binding = verifyUploadUrl(ctx.secret, url, filename);
    if (binding.node !== ctx.nodeId) throw new HoardError('TOKEN_INVALID', 'This upload URL is signed for another node');
    spent.check(binding.uploadId);
    const followers = pipelineOf(ctx.secret, url);
    if (followers.some((f) => f.id === ctx.nodeId)) throw new HoardError('TOKEN_INVALID', 'The upload URL names this node as its own follower');

    const cl = req.headers['content-length'];
    let declared: number | undefined;
    if (cl !== undefined) {
      if (!/^\d{1,16}$/.test(cl)) throw new HoardError('BAD_REQUEST', 'Content-Length is not a number');
      declared = Number(cl);
      if (binding.size !== undefined && declared !== binding.size) {
        throw new HoardError('TOKEN_INVALID', `This upload URL is signed for a body of ${binding.size} bytes`);
      }
      if (binding.max !== undefined && declared > binding.max) throw overCap(binding.max, declared);
      await admission.check(declared);
    } else if (!req.headers['transfer-encoding']) {
      throw new HoardError('LENGTH_REQUIRED');
    }
    const plan = { filename, declared, binding, exp: expOf(url.searchParams.get('exp')), followers };
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
    // The URL's upload id makes the commit idempotent (a retry after a lost answer gets the same link) and keys its pipeline.
    const { uploadId } = plan.binding;
    try {
      spent.take(uploadId, plan.exp);
    } catch (err) {
      refuse(req, res, err);
      return;
    }
    let writer: ChunkWriter | undefined;
    let pipeline: WritePipeline | undefined;
    const declared = plan.declared ?? plan.binding.size ?? 0;
    const claim: Claim = admission.claim(() => declared - (writer?.bytes ?? 0));
    try {
      writer = await store.begin();
      if (plan.followers.length > 0) {
        pipeline = WritePipeline.streaming(ctx.pipelineDeps, { key: uploadId, followers: plan.followers, chunkSize: writer.chunkSize, length: plan.declared });
      }
      await receive(req, writer, plan, pipeline);
      await writer.seal();
    } catch (err) {
      claim.release();
      spent.release(uploadId);
      pipeline?.abort();
      await writer?.abort().catch((e: unknown) => log.error({ err: e }, 'cannot remove an aborted upload'));
      refuse(req, res, err);
      return;
    }
    claim.release();
    // The URL's upload id makes the commit idempotent (a retry after a lost answer gets the same link) and single use at the tracker too.
    let result: UploadResult;
    try {
      result = await publisher.publishAndCommit(writer, { filename: plan.filename, uploadId, pipeline, owner: plan.binding.owner });
    } catch (err) {
      spent.release(uploadId);
      throw err;
    }
    spent.spend(uploadId);
    sendJson(res, 201, result);
  }

  /**
   * Moves the body into the writer. Rejects with BODY_INCOMPLETE when the body
   * ends short of its Content-Length or the client goes away, PAYLOAD_TOO_LARGE
   * over the limit, REQUEST_TIMEOUT below the rate floor, or the writer's error.
   */
  async function receive(req: IncomingMessage, writer: ChunkWriter, plan: UploadPlan, pipeline?: WritePipeline): Promise<void> {
    const exact = plan.declared ?? plan.binding.size;
    const cap = plan.binding.max;
    const limit = Math.min(exact ?? Infinity, cap ?? Infinity, limits.maxUploadSize);
    // A body without a length stops at the caller's tier's limit, as one that declared more would have been refused.
    const overLimit = cap !== undefined && limit === cap ? () => overCap(cap) : undefined;
    // Each piece goes on to the followers as it arrives; a follower whose buffer is full paces the body like the disk does.
    await pump(req, writer, pipeline ? { limit, limits, overLimit, onBytes: (buf) => pipeline.send(buf), after: () => pipeline.room() } : { limit, limits, overLimit });
    if (exact !== undefined && writer.bytes !== exact) throw new HoardError('BODY_INCOMPLETE');
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

/** The caller's tier's upload limit, as the signed URL carries it for a body of undeclared size. */
function overCap(max: number, size?: number): HoardError {
  return new HoardError('UPLOAD_TOO_LARGE', `uploads of your tier are limited to ${max} bytes; ${size === undefined ? 'this body went past that' : `this one is ${size} bytes`}`);
}
