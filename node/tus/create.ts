// POST /internal/tus (tracker → node): open a resumable upload the tracker
// created. The node's admission check runs now, so a full disk refuses at
// creation. The router has checked the cluster credential; the body must
// match the digest it vouches for.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import { readJson, sendJson } from '../../common/http.js';
import type { Matched, RouteHandler } from '../../common/router.js';
import { MD5_RE, SHA256_RE } from '../../common/protocol/ids.js';
import { UPLOAD_ID_RE } from '../../common/protocol/ids.js';
import { type TusCreateRequest, type TusCreateResponse, type TusPart } from '../../common/protocol/types.js';
import { TUS_MAX_PARTS } from '../../common/protocol/tus.js';
import { checkFilename } from '../../common/protocol/filename.js';
import { isClientKey, parseChallengeJson } from './state.js';
import { parseFollowerList } from '../../common/protocol/pipeline.js';
import type { TusService } from './service.js';
import { isOwnerToken } from '../../common/sign.js';

const CREATE_BODY_LIMIT = 64 * 1024;

function parseCreate(v: unknown): TusCreateRequest {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (typeof o.uploadId !== 'string' || !UPLOAD_ID_RE.test(o.uploadId)) throw new HoardError('BAD_REQUEST', 'uploadId is malformed');
  if (typeof o.filename !== 'string') throw new HoardError('FILENAME_INVALID');
  checkFilename(o.filename);
  const length = o.length;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) throw new HoardError('BAD_REQUEST', 'length is malformed');
  const out: TusCreateRequest = { uploadId: o.uploadId, filename: o.filename, length };
  if (o.declared !== undefined) {
    const d = o.declared as Record<string, unknown> | null;
    if (typeof d?.md5 !== 'string' || !MD5_RE.test(d.md5) || typeof d.sha256 !== 'string' || !SHA256_RE.test(d.sha256)) {
      throw new HoardError('BAD_REQUEST', 'declared is malformed');
    }
    out.declared = { md5: d.md5, sha256: d.sha256 };
  }
  if (o.challenge !== undefined) {
    const c = parseChallengeJson(o.challenge);
    if (!c || c.ranges.some(([, end]) => end >= length)) throw new HoardError('BAD_REQUEST', 'challenge is malformed');
    out.challenge = c;
  }
  if (o.followers !== undefined) {
    const f = parseFollowerList(o.followers);
    if (!f) throw new HoardError('BAD_REQUEST', 'followers is malformed');
    out.followers = f;
  }
  if (o.partial !== undefined) {
    if (o.partial !== true || o.declared !== undefined || o.challenge !== undefined || o.followers !== undefined) throw new HoardError('BAD_REQUEST', 'partial is malformed');
    out.partial = true;
  }
  if (o.parts !== undefined) out.parts = parseParts(o.parts);
  if (o.owner !== undefined) {
    // Checked in full by the tracker at the commit (signed for this upload id); a part is never linked, so it has none.
    if (!isOwnerToken(o.owner) || out.partial) throw new HoardError('BAD_REQUEST', 'owner is malformed');
    out.owner = o.owner;
  }
  if (o.client !== undefined) {
    if (!isClientKey(o.client)) throw new HoardError('BAD_REQUEST', 'client is malformed');
    out.client = o.client;
  }
  return out;
}

/** A final upload's parts: each a partial upload id and the node holding it. */
function parseParts(v: unknown): TusPart[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > TUS_MAX_PARTS) throw new HoardError('BAD_REQUEST', 'parts is malformed');
  const parts = v.map((p: unknown) => {
    const o = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
    const node = parseFollowerList([o.node])?.[0];
    if (typeof o.uploadId !== 'string' || !UPLOAD_ID_RE.test(o.uploadId) || !node) throw new HoardError('BAD_REQUEST', 'parts is malformed');
    return { uploadId: o.uploadId, node };
  });
  if (new Set(parts.map((p) => p.uploadId)).size !== parts.length) throw new HoardError('BAD_REQUEST', 'parts lists an upload twice');
  return parts;
}

export function createHandler(svc: TusService): RouteHandler<unknown> {
  return async (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>): Promise<void> => {
    const state = await svc.create(parseCreate(await readJson<unknown>(req, CREATE_BODY_LIMIT, m.bodyDigest)));
    const out: TusCreateResponse = { expires: state.expires };
    if (state.result) out.result = { link: state.result.link, id: state.result.id, dedup: state.result.dedup };
    sendJson(res, 201, out);
  };
}
