// tus creation at the tracker: POST /files picks a node, opens the upload
// there and answers 201 with the node's upload URL (a final upload of the
// concatenation extension is joined from its parts there and then); OPTIONS /files tells
// what is supported; GET /api/uploads/<id> gives the link a finished upload
// produced. Declared hashes (Upload-Metadata md5, sha256) get a challenge;
// the answer looks the same whether or not the content is stored.
import { clientGroup, CreationRefused } from '../index/creation-limits.js';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError, isErrorCode, RemoteError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import { FIRST_CHECKPOINT } from '../../common/protocol/prefix.js';
import { formatChallenge } from '../../common/protocol/proof.js';
import { MD5_RE, SHA256_RE } from '../../common/protocol/ids.js';
import { TRACKER } from '../../common/protocol/routes.js';
import { parseConcat, parseMetadata, TUS_H, TUS_VERSION, tusOptionsHeaders } from '../../common/protocol/tus.js';
import { TUS_NODE } from '../../common/protocol/routes.js';
import { UPLOAD_ID_RE } from '../../common/protocol/ids.js';
import { type TusPart, type UploadStatus } from '../../common/protocol/types.js';
import type { RouteHandler } from './handler.js';
import { createUploadOnNode, uploadInfoOnNode } from '../cluster/node-client.js';
import { findCandidate } from '../index/prefix-index.js';
import { admitUpload } from '../index/upload-policy.js';
import { signOwner } from '../../common/sign.js';
import { placeUpload, type PlacedUpload } from '../index/write-quorum.js';
import { checkFilename } from '../../common/protocol/filename.js';
import { refuseTakenDown } from '../takedowns/gate.js';

/** Nodes tried before creation gives up (a node that just went away is common enough). */
const CREATE_ATTEMPTS = 2;

export const tusOptions: RouteHandler = (ctx, _req, res) => {
  res.writeHead(204, tusOptionsHeaders(ctx.config.maxUploadSize));
  res.end();
};

/** Tus-Resumable must be 1.0.0 on every request but OPTIONS. */
export function checkTusVersion(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('tus-resumable', TUS_VERSION);
  if (req.headers[TUS_H.resumable] !== TUS_VERSION) {
    res.setHeader('tus-version', TUS_VERSION);
    throw new HoardError('TUS_VERSION_UNSUPPORTED');
  }
}

function uploadLength(req: IncomingMessage): number {
  if (req.headers[TUS_H.deferLength] !== undefined) throw new HoardError('BAD_REQUEST', 'Upload-Defer-Length is not supported: send Upload-Length');
  const raw = req.headers[TUS_H.length];
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw)) throw new HoardError('BAD_REQUEST', 'Upload-Length is missing or not a number');
  return Number(raw);
}

/** A final upload's parts, found on the nodes that hold them: each must be a complete partial upload. */
async function findParts(ctx: Parameters<RouteHandler>[0], urls: readonly string[]): Promise<{ parts: TusPart[]; length: number }> {
  const parts: TusPart[] = [];
  for (const raw of urls) {
    const node = ctx.topology.list().find((n) => raw.startsWith(n.publicUrl + TUS_NODE.upload));
    const id = node ? raw.slice((node.publicUrl + TUS_NODE.upload).length) : '';
    if (!node || !UPLOAD_ID_RE.test(id)) throw new HoardError('TUS_CONCAT_INVALID', `${raw.slice(0, 200)} is not an upload of this cluster`);
    if (parts.some((p) => p.uploadId === id)) throw new HoardError('TUS_CONCAT_INVALID', `upload ${id} is listed twice`);
    parts.push({ uploadId: id, node: { id: node.id, url: node.publicUrl } });
  }
  const infos = await Promise.all(
    parts.map((p) =>
      uploadInfoOnNode(p.node.url, ctx.config.secret, p.uploadId).catch((err: unknown) => {
        if (err instanceof RemoteError && err.status < 500) throw new HoardError('TUS_CONCAT_INVALID', `partial upload ${p.uploadId}: ${err.code}`);
        throw new HoardError('UPSTREAM_FAILED', `node ${p.node.id} holding partial upload ${p.uploadId} did not answer`, { cause: err });
      }),
    ),
  );
  for (const info of infos) {
    if (!info.partial) throw new HoardError('TUS_CONCAT_INVALID', `upload ${info.uploadId} is not a partial upload`);
    if (info.offset !== info.length) throw new HoardError('TUS_CONCAT_INVALID', `partial upload ${info.uploadId} holds ${info.offset} of its ${info.length} bytes`);
  }
  return { parts, length: infos.reduce((n, i) => n + i.length, 0) };
}

/** Retry-After when the nodes refuse for their caps on unfinished uploads (they free as uploads finish or expire). */
const NODE_CAP_RETRY_S = 60;

/** The client as the nodes count its open uploads (none when its address is unknown). */
function clientKey(ip: string): { client?: string } {
  const key = clientGroup(ip);
  return key === '' ? {} : { client: key };
}

/** A node's refusal for its caps on unfinished uploads. */
function capped(err: unknown): err is RemoteError & { code: 'TOO_MANY_UPLOADS' | 'TOO_MANY_OPEN_UPLOADS' } {
  return err instanceof RemoteError && (err.code === 'TOO_MANY_UPLOADS' || err.code === 'TOO_MANY_OPEN_UPLOADS');
}

/** A final upload is joined during its creation: 60 s, and a second more per 16 MiB. */
const joinTimeoutMs = (length: number): number => 60_000 + Math.ceil(length / (16 << 20)) * 1000;

export const tusCreate: RouteHandler = async (ctx, req, res, m) => {
  checkTusVersion(req, res);
  // Concatenation (tus-js-client's parallelUploads): parts are uploads that never become links; the final joins them.
  const concatHeader = firstHeader(req, TUS_H.concat);
  const concat = concatHeader === undefined ? undefined : parseConcat(concatHeader);
  if (concatHeader !== undefined && !concat) throw new HoardError('TUS_CONCAT_INVALID');
  // A final upload's length is its parts' (tus: it sends no Upload-Length).
  const joined = concat?.kind === 'final' ? await findParts(ctx, concat.urls) : undefined;
  const length = joined ? joined.length : uploadLength(req);
  const grant = await admitUpload(ctx.config, ctx.store, m.caller!, length);
  const meta = parseMetadata(firstHeader(req, TUS_H.metadata));
  if (!meta) throw new HoardError('BAD_REQUEST', 'Upload-Metadata is malformed');
  const name = checkFilename(meta.get('filename') || meta.get('name') || 'upload.bin');
  const md5 = meta.get('md5')?.toLowerCase();
  const sha256 = meta.get('sha256')?.toLowerCase();
  if ((md5 !== undefined && !MD5_RE.test(md5)) || (sha256 !== undefined && !SHA256_RE.test(sha256))) {
    throw new HoardError('BAD_REQUEST', 'declared md5 or sha256 is not a lower-case hex digest');
  }
  // A content under a takedown notice is refused before any byte is sent.
  if (sha256 !== undefined) await refuseTakenDown(ctx.takedowns.book, ctx.store, sha256);
  // Early stop needs PATCHes of the whole content: a part or a final upload declares nothing.
  const declared = md5 && sha256 && !concat ? { md5, sha256 } : undefined;
  const client = m.caller!.ip;
  // Every declared upload past the first checkpoint gets a challenge, stored content or not.
  const challenged = declared !== undefined && length > FIRST_CHECKPOINT;
  const candidate = challenged ? await findCandidate(ctx.store, { ...declared, size: length }) : undefined;

  const uploadId = randomBytes(16).toString('base64url');
  // The account the link will be for, signed for this upload: the node hands it to the commit. A part is never linked.
  const owner = grant.owner && concat?.kind !== 'partial' ? signOwner(ctx.config.secret, uploadId, grant.owner) : undefined;
  // An upload committed through another tracker is finished although this one was not told: the store says so.
  for (const open of ctx.creations.openAtCap(client)) if ((await ctx.store.uploads.linkOf(open)) !== undefined) ctx.creations.finished(open);
  try {
    ctx.creations.admit(client, uploadId);
  } catch (err) {
    if (err instanceof CreationRefused) res.setHeader('retry-after', String(err.retryAfterS));
    throw err;
  }
  const book = ctx.proofs;
  const tried: string[] = [];
  let lastErr: unknown;
  let capErr: (RemoteError & { code: 'TOO_MANY_UPLOADS' | 'TOO_MANY_OPEN_UPLOADS' }) | undefined;
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    let placed: PlacedUpload;
    try {
      // The node and, under a write quorum, the followers it streams the bytes to.
      placed = placeUpload(ctx.config, { nodes: ctx.topology.list(), size: length, margin: ctx.config.uploadMargin, random: ctx.random, exclude: tried }, ctx.log);
    } catch (err) {
      lastErr ??= err;
      break;
    }
    const node = placed.first;
    tried.push(node.id);
    const challenge = challenged ? book.issue(uploadId, node.id, length, candidate) : undefined;
    try {
      // A part is one copy until its final upload is written (the final gets the pipeline's followers).
      const followers = placed.followers.length > 0 && concat?.kind !== 'partial' ? placed.followers : undefined;
      const partial = concat?.kind === 'partial' ? (true as const) : undefined;
      const made = await createUploadOnNode(
        node.publicUrl,
        ctx.config.secret,
        { uploadId, filename: name, length, declared, challenge, followers, partial, parts: joined?.parts, owner, ...clientKey(client) },
        joined ? joinTimeoutMs(length) : undefined,
      );
      const location = node.publicUrl + TUS_NODE.upload + uploadId;
      const headers: Record<string, string> = { location, [TUS_H.expires]: new Date(made.expires).toUTCString() };
      if (challenge) headers[TUS_H.challenge] = formatChallenge(challenge);
      if (partial) headers[TUS_H.concat] = 'partial';
      if (made.result) {
        // An empty upload or a final one ended at its creation: tus clients send no PATCH for it, so the link comes now.
        Object.assign(headers, { [TUS_H.link]: made.result.link, [TUS_H.linkId]: made.result.id, [TUS_H.dedup]: made.result.dedup ? '1' : '0' });
        ctx.creations.finished(uploadId);
        for (const p of joined?.parts ?? []) ctx.creations.finished(p.uploadId);
      } else {
        // Counted against its client until it is finished (or expires).
        ctx.creations.opened(client, uploadId, made.expires);
      }
      ctx.log.info({ upload: uploadId, node: node.id, followers: placed.followers.map((f) => f.id), size: length, declared: declared !== undefined }, 'tus upload created');
      sendJson(res, 201, { uploadId, url: location, expires: new Date(made.expires).toISOString() }, headers);
      // Only now, so the answer above took the same time whether or not the content is stored.
      if (challenge) setImmediate(() => book.prepare(uploadId));
      return;
    } catch (err) {
      book.drop(uploadId);
      // A final upload whose parts the node could not join: the same on any node.
      if (joined && err instanceof RemoteError && err.status < 500 && isErrorCode(err.code)) {
        ctx.creations.finished(uploadId);
        throw new HoardError(err.code, err.message.replace(/^\S+ \(\d+\): /, ''));
      }
      lastErr = err;
      if (capped(err)) capErr ??= err;
      ctx.log.warn({ node: node.id, err: (err as Error).message }, 'node refused a resumable upload');
    }
  }
  ctx.creations.finished(uploadId);
  if (lastErr instanceof HoardError) throw lastErr;
  // A node tried holds as many unfinished uploads (of this client, or in all) as it may: the client retries later.
  if (capErr) {
    res.setHeader('retry-after', String(NODE_CAP_RETRY_S));
    throw new HoardError(capErr.code, capErr.message.replace(/^\S+ \(\d+\): /, ''));
  }
  throw new HoardError('UPSTREAM_FAILED', `no node could open the upload: ${(lastErr as Error | undefined)?.message ?? 'unknown'}`);
};

export const uploadStatusRoute: RouteHandler = async (ctx, _req, res, m) => {
  const uploadId = m.params.id!;
  const linkId = UPLOAD_ID_RE.test(uploadId) ? await ctx.store.uploads.linkOf(uploadId) : undefined;
  const link = linkId === undefined ? undefined : await ctx.store.links.get(linkId);
  const blob = link && (await ctx.store.blobs.get(link.blobId));
  if (!link || !blob) throw new HoardError('UPLOAD_NOT_FOUND', 'No finished upload with that id');
  const out: UploadStatus = {
    uploadId,
    link: `${ctx.publicUrl}${TRACKER.link}${link.id}`,
    id: link.id,
    filename: link.filename,
    size: blob.size,
    md5: blob.md5,
    sha256: blob.sha256,
  };
  sendJson(res, 200, out);
};

function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
