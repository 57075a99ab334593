// Signed, expiring data-plane URLs and the cluster credential.
// Both are HMAC-SHA-256 with the cluster secret, checked in constant time,
// so the secret itself never travels on the wire.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HoardError } from './protocol/errors.js';
import { NODE_ID_RE, UPLOAD_ID_RE } from './protocol/ids.js';
import { formatFollowers, parseFollowers, PIPE_PARAM, PIPE_SIG_PARAM, type PeerNode } from './protocol/pipeline.js';
import { CLAIM_PARAMS, claimsText, formatWindow, type DownloadClaims } from './protocol/download-policy.js';

/** The verb a signature covers. HEAD is signed as GET: a URL good for one is good for the other. */
export type SignedVerb = 'GET' | 'PUT';

export interface UrlClaims {
  verb: SignedVerb;
  /** The resource: a blob id for downloads, the upload's file name for uploads. */
  resource: string;
  /** Unix seconds after which the URL is refused. */
  exp: number;
  /** Extra bound value (the download's file name); empty when unused. */
  extra?: string;
  /** The link a download came through: the node sends the reader back to it if its copy fails a check. */
  link?: string;
  /** A download's policy (tier, rate, lease, happy window): the node enforces it without asking the tracker. */
  policy?: DownloadClaims;
}

function mac(secret: string, parts: string[]): string {
  // Fields joined by NUL: no field can contain one, so no two claim sets share a message.
  return createHmac('sha256', secret).update(parts.join('\0')).digest('base64url');
}

export function signClaims(secret: string, c: UrlClaims): string {
  // With a policy, a kind of its own again: dropping or changing any claim breaks the signature.
  if (c.policy) return mac(secret, ['url+policy', c.verb, c.resource, String(c.exp), c.extra ?? '', c.link ?? '', claimsText(c.policy)]);
  // With a link, a message of its own kind: no claim set without one can share it.
  if (c.link) return mac(secret, ['url+link', c.verb, c.resource, String(c.exp), c.extra ?? '', c.link]);
  return mac(secret, ['url', c.verb, c.resource, String(c.exp), c.extra ?? '']);
}

/** Compares two strings in time that does not depend on where they differ. */
export function equalConstantTime(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  // timingSafeEqual needs equal lengths; compare against itself to keep timing flat.
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** Throws TOKEN_INVALID or TOKEN_EXPIRED; returns on success. */
export function verifyClaims(secret: string, c: UrlClaims, sig: string | null, nowMs = Date.now()): void {
  if (!sig || !Number.isSafeInteger(c.exp)) throw new HoardError('TOKEN_INVALID');
  if (!equalConstantTime(signClaims(secret, c), sig)) throw new HoardError('TOKEN_INVALID');
  if (c.exp * 1000 < nowMs) throw new HoardError('TOKEN_EXPIRED');
}

/** A URL's `exp` as signed: plain decimal digits, else NaN (refused as TOKEN_INVALID). */
export function expOf(raw: string | null): number {
  return raw !== null && /^\d{1,12}$/.test(raw) ? Number(raw) : NaN;
}

/** Adds exp and sig (and name, link and the policy's claims when given) to a URL's query. */
export function signUrl(secret: string, base: string, c: UrlClaims): string {
  const u = new URL(base);
  u.searchParams.set('exp', String(c.exp));
  if (c.extra) u.searchParams.set('name', c.extra);
  if (c.link) u.searchParams.set('link', c.link);
  if (c.policy) {
    const q = u.searchParams;
    q.set(CLAIM_PARAMS.tier, c.policy.tier);
    q.set(CLAIM_PARAMS.rate, String(c.policy.rate));
    if (c.policy.lease) q.set(CLAIM_PARAMS.lease, c.policy.lease);
    if (c.policy.happy) q.set(CLAIM_PARAMS.happy, formatWindow(c.policy.happy));
    if (c.policy.download) q.set(CLAIM_PARAMS.download, c.policy.download);
  }
  u.searchParams.set('sig', signClaims(secret, c));
  return u.toString();
}

/**
 * What a signed upload URL is good for: one upload, under `uploadId`, to
 * `node`, of exactly `size` bytes when the size was declared. Signed as the
 * claims' `extra`, so a URL cannot be moved to another node, body size or
 * upload, and the node can refuse it once used.
 */
export interface UploadBinding {
  uploadId: string;
  node: string;
  size: number | undefined;
  /** The account the upload is for (signOwner), passed on to the commit as given; absent: anonymous. */
  owner?: string;
  /** Most bytes the body may hold when `size` is not declared (the caller's tier's upload limit). */
  max?: number;
}

function bindingText(b: UploadBinding): string {
  const base = ['upload', b.uploadId, b.node, b.size === undefined ? '' : String(b.size)];
  // Without an owner or a cap, the message of a URL without them, as before.
  if (b.owner === undefined && b.max === undefined) return base.join('\0');
  return [...base, b.owner ?? '', b.max === undefined ? '' : String(b.max)].join('\0');
}

/** `base` (the node's /upload/NAME) with exp, uid, node, size (when declared) and sig. */
export function signUploadUrl(secret: string, base: string, filename: string, exp: number, b: UploadBinding): string {
  const u = new URL(base);
  u.searchParams.set('exp', String(exp));
  u.searchParams.set('uid', b.uploadId);
  u.searchParams.set('node', b.node);
  if (b.size !== undefined) u.searchParams.set('size', String(b.size));
  if (b.owner !== undefined) u.searchParams.set('owner', b.owner);
  if (b.max !== undefined) u.searchParams.set('max', String(b.max));
  u.searchParams.set('sig', signClaims(secret, { verb: 'PUT', resource: filename, exp, extra: bindingText(b) }));
  return u.toString();
}

/** The binding of a signed upload URL once its signature checks out; TOKEN_INVALID or TOKEN_EXPIRED otherwise. */
export function verifyUploadUrl(secret: string, url: URL, filename: string, nowMs = Date.now()): UploadBinding {
  const q = url.searchParams;
  const uploadId = q.get('uid') ?? '';
  const node = q.get('node') ?? '';
  const rawSize = q.get('size');
  const owner = q.get('owner');
  const rawMax = q.get('max');
  const decimal = (v: string | null): boolean => v === null || /^(0|[1-9]\d{0,15})$/.test(v);
  if (!UPLOAD_ID_RE.test(uploadId) || !NODE_ID_RE.test(node) || !decimal(rawSize) || !decimal(rawMax) || (owner !== null && !OWNER_RE.test(owner))) {
    throw new HoardError('TOKEN_INVALID');
  }
  const b: UploadBinding = { uploadId, node, size: rawSize === null ? undefined : Number(rawSize) };
  if (owner !== null) b.owner = owner;
  if (rawMax !== null) b.max = Number(rawMax);
  verifyClaims(secret, { verb: 'PUT', resource: filename, exp: expOf(q.get('exp')), extra: bindingText(b) }, q.get('sig'), nowMs);
  return b;
}

/**
 * The account an upload is for, as the tracker decided at the door: the
 * user id and the most logical bytes the account may keep (absent: no
 * quota). The tracker signs it for one upload id; a node passes it on to
 * the commit as it was given (in the PUT URL, or at tus creation), and the
 * tracker takes it only with its signature for that upload.
 */
export interface OwnerClaim {
  user: string;
  quota?: number;
}

/** `user.quota.mac`: user ids are base64url, the quota decimal ('' for none). */
const OWNER_RE = /^[A-Za-z0-9_-]{1,64}\.(0|[1-9]\d{0,15})?\.[A-Za-z0-9_-]{43}$/;

/** The signed owner token of upload `uploadId`. */
export function signOwner(secret: string, uploadId: string, c: OwnerClaim): string {
  const quota = c.quota === undefined ? '' : String(c.quota);
  return `${c.user}.${quota}.${mac(secret, ['owner', uploadId, c.user, quota])}`;
}

/** The claim of an owner token signed for `uploadId`; TOKEN_INVALID when it is malformed, altered or another upload's. */
export function verifyOwner(secret: string, uploadId: string, token: string): OwnerClaim {
  if (!OWNER_RE.test(token)) throw new HoardError('TOKEN_INVALID', 'The upload\'s owner is malformed');
  const [user, quota, sig] = token.split('.') as [string, string, string];
  if (!equalConstantTime(mac(secret, ['owner', uploadId, user, quota]), sig)) throw new HoardError('TOKEN_INVALID', 'The upload\'s owner is not signed for this upload');
  return quota === '' ? { user } : { user, quota: Number(quota) };
}

/** Whether a string has the shape of an owner token (checked in full by verifyOwner). */
export const isOwnerToken = (v: unknown): v is string => typeof v === 'string' && OWNER_RE.test(v);

/**
 * The signature of a PUT URL's pipeline (`pipe`, common/protocol/pipeline.ts),
 * bound to the URL's own signature: the followers cannot be changed, nor
 * moved to another URL.
 */
export function signPipeline(secret: string, urlSig: string, pipe: string): string {
  return mac(secret, ['pipe', urlSig, pipe]);
}

/** Throws TOKEN_INVALID unless `psig` signs `pipe` for the URL signed `urlSig`. */
export function verifyPipeline(secret: string, urlSig: string, pipe: string, psig: string | null): void {
  if (!psig || !equalConstantTime(signPipeline(secret, urlSig, pipe), psig)) throw new HoardError('TOKEN_INVALID', 'The upload URL\'s pipeline is missing its signature or altered');
}

/** A signed URL (signUrl) with its pipeline's followers added and signed. */
export function addPipeline(secret: string, signedUrl: string, followers: readonly PeerNode[]): string {
  const u = new URL(signedUrl);
  const pipe = formatFollowers(followers);
  u.searchParams.set(PIPE_PARAM, pipe);
  u.searchParams.set(PIPE_SIG_PARAM, signPipeline(secret, u.searchParams.get('sig') ?? '', pipe));
  return u.toString();
}

/** The followers a signed PUT URL carries ([] when none); TOKEN_INVALID when they are altered or their signature is missing. */
export function pipelineOf(secret: string, url: URL): PeerNode[] {
  const pipe = url.searchParams.get(PIPE_PARAM);
  const psig = url.searchParams.get(PIPE_SIG_PARAM);
  if (pipe === null) {
    if (psig !== null) throw new HoardError('TOKEN_INVALID', 'A pipeline signature without a pipeline');
    return [];
  }
  verifyPipeline(secret, url.searchParams.get('sig') ?? '', pipe, psig);
  const followers = parseFollowers(pipe);
  if (!followers) throw new HoardError('TOKEN_INVALID', 'The upload URL\'s pipeline is malformed');
  return followers;
}

// Cluster credential: `<unix-seconds>.<body digest>.<mac(method, path, ts, digest)>`.
// A window bounds replay; the path includes the query and the digest binds
// the body, so a captured credential is good for that exact call only.
const AUTH_WINDOW_S = 300;

/** base64url SHA-256 of a request body ('' for none). */
export function bodyDigest(body: string | Buffer = ''): string {
  return createHash('sha256').update(body).digest('base64url');
}

/**
 * The digest field of a credential whose body is a stream (the write
 * pipeline's bytes): not hashed up front, but checked by its handler, chunk
 * by chunk, against a manifest that arrives in a call of its own. Only routes
 * declared as streams accept it (common/router.ts).
 */
export const STREAM_DIGEST = 'stream';

function credential(secret: string, method: string, pathAndQuery: string, nowMs: number, digest: string): string {
  const ts = Math.floor(nowMs / 1000);
  return `${ts}.${digest}.${mac(secret, ['cluster', method.toUpperCase(), pathAndQuery, String(ts), digest])}`;
}

export function clusterAuth(secret: string, method: string, pathAndQuery: string, nowMs = Date.now(), body?: string | Buffer): string {
  return credential(secret, method, pathAndQuery, nowMs, bodyDigest(body));
}

/** The credential of a streamed body (STREAM_DIGEST). */
export function clusterAuthStream(secret: string, method: string, pathAndQuery: string, nowMs = Date.now()): string {
  return credential(secret, method, pathAndQuery, nowMs, STREAM_DIGEST);
}

/** Throws UNAUTHORIZED; on success returns the body digest the credential vouches for. */
export function verifyClusterAuth(
  secret: string,
  method: string,
  pathAndQuery: string,
  header: string | undefined,
  nowMs = Date.now(),
): string {
  const parts = header?.split('.') ?? [];
  // Plain decimal digits, as clusterAuth writes them: `…e0`, `0x…` or a leading zero would be another spelling of a signed time.
  if (parts.length !== 3 || !/^[1-9]\d{0,11}$/.test(parts[0]!)) throw new HoardError('UNAUTHORIZED');
  const ts = Number(parts[0]);
  const digest = parts[1]!;
  const expected = mac(secret, ['cluster', method.toUpperCase(), pathAndQuery, String(ts), digest]);
  if (!equalConstantTime(expected, parts[2]!)) throw new HoardError('UNAUTHORIZED');
  if (Math.abs(nowMs / 1000 - ts) > AUTH_WINDOW_S) throw new HoardError('UNAUTHORIZED', 'Cluster credential outside its time window');
  return digest;
}
