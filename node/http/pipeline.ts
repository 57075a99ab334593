// The write pipeline's follower routes (node → node, cluster credential):
//
//   PUT  /internal/pipeline/<key>?chunkSize=[&length=]  the upload's bytes as they reach the first node → FollowerReceived
//   POST /internal/pipeline/<key>/publish               FollowerPublishRequest → FollowerPublishAnswer
//
// The stream's credential vouches for no body digest (common/sign.ts
// STREAM_DIGEST): the bytes are proven by the publish, whose manifest must
// match every chunk written, and whose body the credential does cover.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import type { Matched, RouteHandler } from '../../common/router.js';
import { PIPELINE_KEY_RE, type FollowerReceived } from '../../common/protocol/pipeline.js';
import { isValidManifest } from '../store/chunk-store.js';
import type { PipelineFollower } from '../upload/follower.js';
import { readInternalJson } from './internal-body.js';

/** A manifest lists ~90 bytes per chunk: 32 MiB covers ~3 TiB at 8 MiB chunks (as copy-from). */
const PUBLISH_BODY_LIMIT = 32 * 1024 * 1024;
/** Chunk sizes a follower accepts: the store's bounds. */
const MIN_CHUNK = 64 * 1024;
const MAX_CHUNK = 1024 * 1024 * 1024;

function keyOf(m: Matched<unknown>): string {
  const key = m.params.key!;
  if (!PIPELINE_KEY_RE.test(key)) throw new HoardError('NOT_FOUND');
  return key;
}

function intParam(url: URL, name: string, min: number, max: number, required: boolean): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) {
    if (required) throw new HoardError('BAD_REQUEST', `${name} is required`);
    return undefined;
  }
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : -1;
  if (n < min || n > max) throw new HoardError('BAD_REQUEST', `${name} must be an integer in [${min}, ${max}]`);
  return n;
}

/** PUT /internal/pipeline/<key> */
export function pipelineStreamHandler(follower: PipelineFollower): RouteHandler<unknown> {
  return async (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => {
    const key = keyOf(m);
    const chunkSize = intParam(m.url, 'chunkSize', MIN_CHUNK, MAX_CHUNK, true)!;
    const length = intParam(m.url, 'length', 0, Number.MAX_SAFE_INTEGER, false);
    const out: FollowerReceived = { bytes: await follower.receive(key, req, { chunkSize, length }) };
    sendJson(res, 200, out);
  };
}

/** POST /internal/pipeline/<key>/publish */
export function pipelinePublishHandler(follower: PipelineFollower): RouteHandler<unknown> {
  return async (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => {
    const key = keyOf(m);
    const body = (await readInternalJson(req, m.bodyDigest, PUBLISH_BODY_LIMIT)) as { manifest?: unknown } | null;
    const manifest = body?.manifest;
    if (!isValidManifest(manifest)) throw new HoardError('BAD_REQUEST', 'manifest is missing or malformed');
    sendJson(res, 200, await follower.publish(key, manifest));
  };
}
