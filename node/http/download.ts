// GET|HEAD /blob/<blobId>?exp=&name=&sig= : a blob, whole or one range.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { StoredBlob } from '../store/chunk-store.js';
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import type { Matched, RouteHandler } from '../../common/router.js';
import { SHA256_RE } from '../../common/protocol/ids.js';
import { decideRange } from '../../common/protocol/range.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { sendBody } from '../store/blob-reader.js';
import { expOf } from '../../common/sign.js';
import { attachmentHeaderRemembered, verifyClaimsRemembered } from './request-memo.js';

export interface DownloadDeps {
  secret: string;
  store: Pick<ChunkStore, 'get' | 'read'>;
}

export function downloadHandler(deps: DownloadDeps): RouteHandler<unknown> {
  return (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => handleDownload(deps, req, res, m.url, m.params.id!);
}

async function handleDownload(ctx: DownloadDeps, req: IncomingMessage, res: ServerResponse, url: URL, id: string): Promise<void> {
  const name = url.searchParams.get('name') ?? '';
  // HEAD is checked as GET: a signed URL is good for both.
  verifyClaimsRemembered(ctx.secret, { verb: 'GET', resource: id, exp: expOf(url.searchParams.get('exp')), extra: name }, url.searchParams.get('sig'));
  if (!SHA256_RE.test(id)) throw new HoardError('BLOB_NOT_FOUND');
  const blob = await ctx.store.get(id);
  if (!blob) throw new HoardError('BLOB_NOT_FOUND');

  const { size } = blob.manifest;
  const fixed = blobHeaders(blob);
  const range = decideRange({
    size,
    range: req.headers.range,
    ifRange: header(req, 'if-range'),
    etag: fixed.etag,
    lastModified: blob.mtime,
  });
  if (range.kind === 'unsatisfiable') {
    sendJson(res, 416, new HoardError('RANGE_NOT_SATISFIABLE').toJSON(), { ...fixed.object, 'content-range': `bytes */${size}` });
    return;
  }
  let start = 0;
  let end = size - 1;
  let status = 200;
  // A flat [name, value, …] list: writeHead takes it as is, without an object to walk.
  const headers = [...fixed.list, 'content-disposition', attachmentHeaderRemembered(name, id)];
  if (range.kind === 'partial') {
    ({ start, end } = range);
    status = 206;
    headers.push('content-range', `bytes ${start}-${end}/${size}`);
  }
  headers.push('content-length', String(end - start + 1));

  if (req.method === 'HEAD' || size === 0) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  // Open before the status line goes out, so a blob removed meanwhile is still a clean 404.
  const body = await ctx.store.read(id, start, end);
  try {
    res.writeHead(status, headers);
    await sendBody(body, res);
  } catch (err) {
    // The body holds a chunk descriptor until it ends or is destroyed.
    body.destroy();
    // A client that hangs up is routine; anything else is a real read failure.
    if (res.destroyed && (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

interface BlobHeaders {
  etag: string;
  /** Headers every answer about the blob carries, as an object (error answers) and a flat list. */
  object: OutgoingHttpHeaders;
  list: readonly string[];
}

/** Per stored blob (the store caches its StoredBlob), so a hot blob's header values are built once. */
const headersOf = new WeakMap<StoredBlob, BlobHeaders>();

function blobHeaders(blob: StoredBlob): BlobHeaders {
  let h = headersOf.get(blob);
  if (!h) {
    const etag = `"${blob.manifest.sha256}"`;
    const object = { 'accept-ranges': 'bytes', etag, 'last-modified': blob.mtime.toUTCString(), 'cache-control': 'private' };
    const list = [...Object.entries(object).flat(), 'content-type', 'application/octet-stream'];
    h = { etag, object, list };
    headersOf.set(blob, h);
  }
  return h;
}
