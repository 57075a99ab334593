// GET|HEAD /blob/<blobId>?exp=&name=&link=&sig= : a blob, whole or one range.
// A copy that fails its check before the first byte sends the reader back
// through its link to another copy; one that fails later cuts the
// connection, so a resuming client continues from a good copy.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { StoredBlob } from '../store/chunk-store.js';
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import type { Matched, RouteHandler } from '../../common/router.js';
import { LINK_ID_RE, SHA256_RE } from '../../common/protocol/ids.js';
import { LINK_DOWNLOAD_PARAM, TRACKER } from '../../common/protocol/routes.js';
import type { TrackerView } from '../cluster/tracker-view.js';
import { decideRange } from '../../common/protocol/range.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { sendBody } from '../store/blob-reader.js';
import { expOf } from '../../common/sign.js';
import { claimsOf } from '../../common/protocol/download-policy.js';
import type { Egress } from '../egress/egress.js';
import { downloadMetrics } from '../metrics.js';
import type { NodeTakedowns } from '../cluster/takedowns.js';
import { NOTICE_HEADER, takenDownMessage } from '../../common/protocol/takedowns.js';
import { attachmentHeaderRemembered, verifyClaimsRemembered } from './request-memo.js';

export interface DownloadDeps {
  nodeId: string;
  secret: string;
  store: Pick<ChunkStore, 'get' | 'read'>;
  /** Where a reader goes back to when this copy fails its check. */
  trackerView: Pick<TrackerView, 'publicUrl'>;
  /** Paces downloads: their signed rate cap and lease, the uplink budget. */
  egress: Pick<Egress, 'open' | 'served'>;
  /** Blobs and links taken down: a reader's signed URL stops working at once, and a response under way is cut. */
  takedowns: Pick<NodeTakedowns, 'blob' | 'link' | 'watch'>;
}

export function downloadHandler(deps: DownloadDeps): RouteHandler<unknown> {
  return (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => handleDownload(deps, req, res, m.url, m.params.id!);
}

async function handleDownload(ctx: DownloadDeps, req: IncomingMessage, res: ServerResponse, url: URL, id: string): Promise<void> {
  const name = url.searchParams.get('name') ?? '';
  const link = url.searchParams.get('link') ?? '';
  // The download's policy (tier, rate, lease, happy window) is signed with the rest: none for a copy between nodes.
  const policy = claimsOf(url.searchParams);
  if (policy === null) throw new HoardError('TOKEN_INVALID', 'The URL\'s download claims are malformed');
  // HEAD is checked as GET: a signed URL is good for both.
  verifyClaimsRemembered(ctx.secret, { verb: 'GET', resource: id, exp: expOf(url.searchParams.get('exp')), extra: name, link, policy }, url.searchParams.get('sig'));
  if (!SHA256_RE.test(id)) throw new HoardError('BLOB_NOT_FOUND');
  // A reader's download (it carries a policy or a link; a copy between nodes carries neither) of something taken down.
  if (policy !== undefined || link !== '') {
    const ref = ctx.takedowns.blob(id) ?? (link === '' ? undefined : ctx.takedowns.link(link));
    if (ref !== undefined) {
      if (ref !== '') res.setHeader(NOTICE_HEADER, ref);
      throw new HoardError('TAKEN_DOWN', takenDownMessage(ref || undefined));
    }
    // In the same step as the check: a takedown learnt from here on cuts this response.
    ctx.takedowns.watch(id, link, res);
  }
  const blob = await ctx.store.get(id);
  if (!blob) throw new HoardError('BLOB_NOT_FOUND');

  const { size } = blob.manifest;
  const fixed = blobHeaders(blob);
  const range = decideRange({
    size,
    range: req.headers.range,
    ifRange: header(req, 'if-range'),
    etag: fixed.etag,
    lastModified: blob.created,
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
  let body;
  try {
    body = await ctx.store.read(id, start, end);
  } catch (err) {
    const back = otherCopy(ctx, err, link);
    if (back === undefined) throw err;
    sendJson(res, 302, { url: back }, { location: back });
    return;
  }
  const transfer = ctx.egress.open(policy);
  const tier = policy?.tier;
  // Per-tier series count downloads users make (a copy between nodes has no tier).
  const counted = tier === undefined ? undefined : downloadMetrics.of(tier);
  const gate = transfer?.gate;
  // Bytes a paced response handed to the socket: what a cut one served.
  let sent = 0;
  if (gate) {
    gate.sent = (n) => {
      sent += n;
      counted?.bytes.inc(n);
    };
  }
  const download = policy?.download;
  counted?.active.inc();
  try {
    res.writeHead(status, headers);
    await sendBody(body, res, gate);
    if (!gate) counted?.bytes.inc(end - start + 1);
    if (download) ctx.egress.served.add(download, id, start, end);
  } catch (err) {
    // A cut response served what it paced out; an unpaced one is not counted (its bytes may sit unsent in buffers).
    if (download && sent > 0) ctx.egress.served.add(download, id, start, start + sent - 1);
    // The body holds a chunk descriptor until it ends or is destroyed.
    body.destroy();
    // A client that hangs up is routine; anything else is a real read failure.
    if (res.destroyed && (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  } finally {
    transfer?.close();
    counted?.active.dec();
  }
}

/**
 * The reader's way to another copy when this one failed its check (it is
 * quarantined and reported by then, so the tracker no longer lists it): its
 * link at the tracker, avoiding this node. Undefined without a link (a copy
 * between nodes) or before the tracker told its public URL.
 */
function otherCopy(ctx: DownloadDeps, err: unknown, link: string): string | undefined {
  if (!(err instanceof HoardError) || err.code !== 'CHUNK_CORRUPT') return undefined;
  const tracker = ctx.trackerView.publicUrl;
  if (tracker === undefined || !LINK_ID_RE.test(link)) return undefined;
  // The download param: a browser following this goes to the file, not to the link's page.
  return `${tracker}${TRACKER.link}${link}?${LINK_DOWNLOAD_PARAM}=1&avoid=${encodeURIComponent(ctx.nodeId)}`;
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
    const object = { 'accept-ranges': 'bytes', etag, 'last-modified': blob.created.toUTCString(), 'cache-control': 'private' };
    const list = [...Object.entries(object).flat(), 'content-type', 'application/octet-stream'];
    h = { etag, object, list };
    headersOf.set(blob, h);
  }
  return h;
}
