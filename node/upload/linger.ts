// After an early answer to an upload, the rest of its body is read and
// dropped for a while: closing a socket with unread input makes the kernel
// send RST, which can destroy the answer before the client reads it.
import type { IncomingMessage } from 'node:http';

/** How long a refused body is read and dropped so the client sees the answer before the socket closes. */
const LINGER_MS = 5_000;

export function lingerDrain(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
  timer.unref();
  const clear = () => clearTimeout(timer);
  req.once('end', clear);
  req.once('close', clear);
  req.on('error', () => undefined);
  req.resume();
}
