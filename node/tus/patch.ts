// PATCH /tus/<id>: append a piece of the body at Upload-Offset. The bytes go
// through the same writer (chunk files, one-pass MD5/SHA-256, prefix
// digests) as a plain upload. A declared upload whose proof of possession
// passed and whose prefix matches the proven blob ends here and now: the
// answer's Upload-Offset is Upload-Length, so a tus client simply finishes.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError, toHoardError } from '../../common/protocol/errors.js';
import { isProofValue } from '../../common/protocol/proof.js';
import { TUS_H } from '../../common/protocol/tus.js';
import type { Matched, RouteHandler } from '../../common/router.js';
import { lingerDrain } from '../upload/linger.js';
import { EarlyStop } from './early-stop.js';
import { checkTusRequest, numberHeader, parseChecksum, uploadHeaders } from './headers.js';
import { pump } from '../upload/body-pump.js';
import type { LiveUpload, TusService } from './service.js';

export function patchHandler(svc: TusService): RouteHandler<unknown> {
  return (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => handlePatch(svc, req, res, m.params.id!);
}

async function handlePatch(svc: TusService, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  checkTusRequest(req, res);
  const live = svc.get(id);
  const { state } = live;
  if (live.busy) throw new HoardError('UPLOAD_LOCKED');
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/offset+octet-stream') throw new HoardError('UNSUPPORTED_MEDIA_TYPE');
  const offset = numberHeader(req, TUS_H.offset);
  if (offset === undefined) throw new HoardError('BAD_REQUEST', 'Upload-Offset is required');
  const length = numberHeader(req, 'content-length');
  if (offset !== state.offset) throw new HoardError('OFFSET_MISMATCH', `Upload-Offset is ${offset}, the upload holds ${state.offset} bytes`);
  if (state.result) {
    // Finished (in full or early): only an empty PATCH at the end is in step with it.
    if (length) throw new HoardError('OFFSET_MISMATCH', 'the upload is complete');
    answer(res, live);
    return;
  }
  if (length !== undefined && offset + length > state.length) throw new HoardError('PAYLOAD_TOO_LARGE', 'PATCH body goes past Upload-Length');
  const checksum = parseChecksum(req);

  live.busy = true;
  try {
    await patchBody(svc, live, req, res, checksum);
  } finally {
    live.busy = false;
  }
}

async function patchBody(
  svc: TusService,
  live: LiveUpload,
  req: IncomingMessage,
  res: ServerResponse,
  checksum: ReturnType<typeof parseChecksum>,
): Promise<void> {
  const { state } = live;
  const log = svc.deps.log;
  const writer = await svc.writerFor(live);
  const before = writer.bytes;
  const early = new EarlyStop(live, svc, log);
  const proof = req.headers[TUS_H.proof];
  if (typeof proof === 'string' && state.challenge && !state.proofTried && state.declared) {
    // One answer per upload (the tracker enforces it too: its challenge ends at the first check).
    state.proofTried = true;
    early.verify(isProofValue(proof) ? proof : '');
  }
  const sum = checksum ? createHash(checksum.algo) : undefined;
  const current = writer;
  let outcome: 'end' | 'early';
  try {
    outcome = await pump(req, current, {
      limit: state.length - state.offset,
      limits: svc.deps.limits,
      onBytes: sum ? (b) => sum.update(b) : undefined,
      after: () => early.decide(current, () => svc.stopEarly(live, current)),
    });
  } catch (err) {
    // A client that went away keeps the bytes it sent for its resume; other failures answer with their error.
    await keepWhatArrived(svc, live, before, checksum !== undefined);
    throw err;
  }
  if (outcome === 'early') {
    answer(res, live);
    lingerDrain(req);
    return;
  }

  // A verdict still on its way (the body ended before the first checkpoint's wait): wait for it before paying for a flush.
  await early.settle();
  if (early.ready(writer) && (await svc.stopEarly(live, writer))) {
    answer(res, live);
    return;
  }

  await writer.flush();
  if (sum && checksum && sum.digest('base64') !== checksum.digest) {
    // tus checksum: a body that does not match is dropped as a whole.
    // The next PATCH rebuilds the writer from the last durable offset, which this body never moved.
    await svc.dropWriter(live);
    throw new HoardError('CHECKSUM_MISMATCH');
  }
  state.offset = writer.bytes;
  svc.touch(live);
  await svc.persist(live);

  // A part of a final upload is complete here: its bytes wait for the final, which joins them.
  if (state.offset === state.length && !state.partial) await svc.complete(live, writer);
  answer(res, live);
}

function answer(res: ServerResponse, live: LiveUpload): void {
  res.writeHead(204, uploadHeaders(live));
  res.end();
}

/** After a broken body: keep every byte that arrived (or, under a checksum, none of this PATCH's). */
async function keepWhatArrived(svc: TusService, live: LiveUpload, before: number, checksummed: boolean): Promise<void> {
  const w = live.writer;
  if (!w) return;
  try {
    if (checksummed) throw new Error('checksummed body cut short');
    await w.flush();
    live.state.offset = w.bytes;
  } catch {
    // A failed writer (or a body that cannot be verified): back to the last durable offset.
    await svc.dropWriter(live);
    live.state.offset = Math.min(live.state.offset, before);
  }
  svc.touch(live);
  await svc.persist(live).catch((err: unknown) => svc.deps.log.error({ err: toHoardError(err), upload: live.state.uploadId }, 'cannot save upload state'));
}
