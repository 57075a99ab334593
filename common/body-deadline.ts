// A whole-body deadline for every request that carries a body. The idle
// timer alone lets a client keep a connection for ever by sending one byte
// now and then; a body not complete by the deadline is answered 408 and its
// connection closed. Routes whose handlers hold their bodies to a rate
// floor of their own (uploads) are released from it by the router.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { HoardError } from './protocol/errors.js';

const timers = new WeakMap<IncomingMessage, NodeJS.Timeout>();

/** How long a closing answer may take to leave before the socket is cut. */
const FLUSH_MS = 1_000;

/** A request carries a body: chunked, or a Content-Length other than 0. */
export function carriesBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

/**
 * Starts the deadline of `req` (nothing when it has no body or `ms` is 0).
 * `answer` sends the 408 when no answer has started.
 */
export function armBodyDeadline(req: IncomingMessage, res: ServerResponse, ms: number, log: Logger, answer: (res: ServerResponse, err: HoardError) => void): void {
  if (ms <= 0 || !carriesBody(req)) return;
  const timer = setTimeout(() => {
    timers.delete(req);
    if (req.complete) return;
    log.info({ method: req.method, path: req.url?.split('?')[0], ms, received: req.socket.bytesRead }, 'request body too slow; connection closed');
    const sock = req.socket;
    if (!res.headersSent) {
      res.setHeader('connection', 'close');
      answer(res, new HoardError('REQUEST_TIMEOUT', `Request body not received within ${ms / 1000} s`));
      setTimeout(() => sock.destroy(), FLUSH_MS).unref();
    } else {
      sock.destroy();
    }
  }, ms);
  timer.unref();
  timers.set(req, timer);
  // Kept after the answer: an unread body still trickling in holds the connection (Node reads it to reuse the socket).
  const sock = req.socket;
  const clear = () => {
    releaseBodyDeadline(req);
    req.off('end', clear);
    sock.off('close', clear);
  };
  req.once('end', clear);
  sock.once('close', clear);
}

/** The route paces the body itself (a rate floor): the whole-body deadline no longer applies. */
export function releaseBodyDeadline(req: IncomingMessage): void {
  const timer = timers.get(req);
  if (timer === undefined) return;
  clearTimeout(timer);
  timers.delete(req);
}
