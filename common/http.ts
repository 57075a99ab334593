// Server plumbing shared by the tracker and nodes: JSON answers, the one
// error hook, the per-request log line and connection timeouts.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Logger } from 'pino';
import { armBodyDeadline } from './body-deadline.js';
import { answerFramingErrors } from './framing.js';
import { HoardError, toHoardError, type ErrorBody } from './protocol/errors.js';
import { bodyDigest } from './sign.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface ServerTimeouts {
  /** Time allowed to receive request headers. */
  headersMs: number;
  /** A socket with no traffic in either direction for this long is closed. */
  idleMs: number;
  keepAliveMs: number;
  /**
   * A request body must be complete this long after its head (0 = no
   * deadline); routes that hold their bodies to a rate floor are released
   * from it (common/body-deadline.ts).
   */
  bodyMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { headersMs: 30_000, idleMs: 60_000, keepAliveMs: 5_000, bodyMs: 10_000 };

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  // Node knows no reason phrase for tus's 460; an empty one confuses some clients' logs.
  if (status === 460) res.statusMessage = 'Checksum Mismatch';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown, log?: Logger): void {
  const e = toHoardError(err);
  // A 503 is transient (no node can take it yet, no live copy, a copy just withdrawn) and
  // clears by itself: a warning with its cause's message, not an error with a stack.
  if (e.status === 503) log?.warn({ code: e.code, cause: e.cause instanceof Error ? e.cause.message : undefined }, e.message);
  else if (e.status >= 500) log?.error({ err: e.cause ?? e, code: e.code }, e.message);
  if (res.headersSent) {
    // Too late for a status: cut the connection so the client sees a failure, not a short body.
    res.destroy(e);
    return;
  }
  const body: ErrorBody = e.toJSON();
  sendJson(res, e.status, body, e.status === 413 || e.status === 400 ? { connection: 'close' } : {});
}

/**
 * Reads a small JSON body with a hard size cap. With `digest` (from a cluster
 * credential), the body must hash to it, else UNAUTHORIZED.
 */
export async function readJson<T>(req: IncomingMessage, limit = 64 * 1024, digest?: string): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new HoardError('PAYLOAD_TOO_LARGE', `JSON body over ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof HoardError) throw err;
    // The client went away (or was cut off by the body deadline): not a failure of ours.
    throw new HoardError('BODY_INCOMPLETE', 'The connection closed before the body ended', { cause: err });
  }
  const raw = Buffer.concat(chunks);
  if (digest !== undefined && bodyDigest(raw) !== digest) {
    throw new HoardError('UNAUTHORIZED', 'Body does not match the cluster credential');
  }
  try {
    return JSON.parse(raw.toString('utf8')) as T;
  } catch {
    throw new HoardError('BAD_REQUEST', 'Body is not valid JSON');
  }
}

/**
 * Creates a server whose every request is logged once (method, path, status,
 * bytes, ms) and whose thrown errors become JSON error bodies. Long transfers
 * are not cut: Node's requestTimeout (whole request) is off; an idle socket is
 * closed after `idleMs`, and handlers enforce a minimum rate on bodies.
 */
export function createServer(handler: Handler, log: Logger, timeouts: ServerTimeouts = DEFAULT_TIMEOUTS): http.Server {
  const server = http.createServer({ requestTimeout: 0, headersTimeout: timeouts.headersMs }, (req, res) => {
    const started = performance.now();
    // Socket counters, not body listeners: a 'data' listener would change how handlers read.
    const sock = req.socket;
    const read0 = sock.bytesRead;
    const written0 = sock.bytesWritten;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://h');
    } catch {
      sendError(res, new HoardError('BAD_REQUEST', 'Request target is not a valid URL'), log);
      return;
    }
    res.on('close', () => {
      const ms = performance.now() - started;
      log.info({
        method: req.method,
        path: url.pathname,
        status: res.statusCode,
        bytesIn: sock.bytesRead - read0,
        bytes: sock.bytesWritten - written0,
        ms: Math.round(ms * 10) / 10,
        aborted: !res.writableFinished || undefined,
      }, 'request');
    });
    armBodyDeadline(req, res, timeouts.bodyMs, log, (r, e) => sendError(r, e, log));
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((err: unknown) => {
        if (req.socket.destroyed && !res.headersSent) {
          // Nobody is left to answer: the client went away. Worth a line, not a stack.
          const e = toHoardError(err);
          log.info({ method: req.method, path: url.pathname, code: e.code, err: e.message }, 'client went away');
          return;
        }
        sendError(res, err, log);
      });
  });
  answerFramingErrors(server, log, (res, e) => sendError(res, e, log));
  server.setTimeout(timeouts.idleMs, (socket) => socket.destroy());
  server.keepAliveTimeout = timeouts.keepAliveMs;
  return server;
}

export function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/** A TCP port free on `host` right now (for a process that must be told its port, or restart on the same one). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe, 0, host);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
