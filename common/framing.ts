// Requests Node's parser refuses before any handler runs (a bad or negative
// Content-Length, Content-Length with Transfer-Encoding, obs-fold, headers
// over the size limit, a head that took too long) and expectations other
// than 100-continue: answered as the error table says, with a JSON body,
// instead of Node's bare status lines.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { HoardError, type ErrorCode } from './protocol/errors.js';

/** The error-table code for a parser error of Node's (llhttp) or its timers. */
export function framingCode(err: NodeJS.ErrnoException): ErrorCode {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'HEADERS_TOO_LARGE';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'PAYLOAD_TOO_LARGE';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'REQUEST_TIMEOUT';
    default:
      return 'BAD_REQUEST';
  }
}

/** The whole answer, status line to body, for a socket no response object owns. */
export function rawErrorAnswer(e: HoardError): string {
  const body = JSON.stringify(e.toJSON());
  return (
    `HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status] ?? 'Error'}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** Node's parser messages say which rule broke, without echoing the request. */
function messageOf(err: NodeJS.ErrnoException, code: ErrorCode): string {
  if (code !== 'BAD_REQUEST') return new HoardError(code).message;
  const { reason } = err as NodeJS.ErrnoException & { reason?: unknown };
  if (typeof reason === 'string' && reason !== '') return `Malformed HTTP request: ${reason}`;
  return 'Malformed HTTP request';
}

/** Installs the `clientError` and `checkExpectation` answers on a server. */
export function answerFramingErrors(server: http.Server, log: Logger, send: (res: ServerResponse, err: HoardError) => void): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A peer that reset or closed its connection needs no answer.
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const code = framingCode(err);
    const e = new HoardError(code, messageOf(err, code));
    log.info({ code, parser: err.code }, 'malformed request refused');
    // Part of an answer already left (a pipelined request failed mid-way): no second status line.
    const open = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (open?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(rawErrorAnswer(e));
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
  // Without this listener Node answers any Expect other than 100-continue with a bare 417.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    log.info({ method: req.method, path: req.url?.split('?')[0], expect: req.headers.expect }, 'expectation refused');
    res.setHeader('connection', 'close');
    send(res, new HoardError('EXPECTATION_FAILED', 'Only Expect: 100-continue is supported'));
  });
}
