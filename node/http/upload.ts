// PUT /upload/<filename>?exp=&sig=[&pipe=&psig=] : stream the body into the
// chunk store (and, under a write quorum, on to the followers the URL names),
// then publish it on disk and commit it at the tracker, answer 201
// UploadResult.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError, toHoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { NODE } from '../../common/protocol/routes.js';
import { expOf, pipelineOf, verifyClaims } from '../../common/sign.js';
import type { PeerNode } from '../../common/protocol/pipeline.js';
import { WritePipeline } from '../upload/pipeline.js';
import { decodeFilename } from '../../common/protocol/filename.js';
import type { ChunkWriter } from '../store/chunk-store.js';
import { pump } from '../upload/body-pump.js';
import type { Claim } from '../upload/admission.js';
import { lingerDrain } from '../upload/linger.js';
import type { NodeContext } from '../context.js';

/** What the checks before the body found. */
export interface UploadPlan {
  filename: string;
  /** Content-Length, or undefined for a chunked body. */
  declared: number | undefined;
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

  async function precheck(req: IncomingMessage, url: URL): Promise<UploadPlan> {
    const seen = checked.get(req);
    if (seen) return seen;
    // The name as sent: its own check answers bad encoding (FILENAME_INVALID).
    const filename = decodeFilename(url.pathname.slice(NODE.upload.length));
    const exp = expOf(url.searchParams.get('exp'));
    verifyClaims(ctx.secret, { verb: 'PUT', resource: filename, exp, extra: '' }, url.searchParams.get('sig'));
    const followers = pipelineOf(ctx.secret, url);
    if (followers.some((f) => f.id === ctx.nodeId)) throw new HoardError('TOKEN_INVALID', 'The upload URL names this node as its own follower');

    const cl = req.headers['content-length'];
    let declared: number | undefined;
    if (cl !== undefined) {
      if (!/^\d{1,16}$/.test(cl)) throw new HoardError('BAD_REQUEST', 'Content-Length is not a number');
      declared = Number(cl);
      await admission.check(declared);
    } else if (!req.headers['transfer-encoding']) {
      throw new HoardError('LENGTH_REQUIRED');
    }
    const plan = { filename, declared, followers };
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
    let writer: ChunkWriter | undefined;
    let pipeline: WritePipeline | undefined;
    const declared = plan.declared ?? 0;
    const claim: Claim = admission.claim(() => declared - (writer?.bytes ?? 0));
    // An id for this upload makes the commit idempotent (a retry after a lost answer gets the same link) and keys its pipeline.
    const uploadId = randomBytes(16).toString('base64url');
    try {
      writer = await store.begin();
      if (plan.followers.length > 0) {
        pipeline = WritePipeline.streaming(ctx.pipelineDeps, { key: uploadId, followers: plan.followers, chunkSize: writer.chunkSize, length: plan.declared });
      }
      await receive(req, writer, plan, pipeline);
      await writer.seal();
    } catch (err) {
      claim.release();
      pipeline?.abort();
      await writer?.abort().catch((e: unknown) => log.error({ err: e }, 'cannot remove an aborted upload'));
      refuse(req, res, err);
      return;
    }
    claim.release();
    const result = await publisher.publishAndCommit(writer, { filename: plan.filename, uploadId, pipeline });
    sendJson(res, 201, result);
  }

  /**
   * Moves the body into the writer. Rejects with BODY_INCOMPLETE when the body
   * ends short of its Content-Length or the client goes away, PAYLOAD_TOO_LARGE
   * over the limit, REQUEST_TIMEOUT below the rate floor, or the writer's error.
   */
  async function receive(req: IncomingMessage, writer: ChunkWriter, plan: UploadPlan, pipeline?: WritePipeline): Promise<void> {
    const limit = Math.min(plan.declared ?? Infinity, limits.maxUploadSize);
    // Each piece goes on to the followers as it arrives; a follower whose buffer is full paces the body like the disk does.
    await pump(req, writer, pipeline ? { limit, limits, onBytes: (buf) => pipeline.send(buf), after: () => pipeline.room() } : { limit, limits });
    if (plan.declared !== undefined && writer.bytes !== plan.declared) throw new HoardError('BODY_INCOMPLETE');
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
