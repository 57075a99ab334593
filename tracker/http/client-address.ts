// The client's address: the connecting one, unless that is a configured
// trusted proxy, whose X-Forwarded-For then names the client (the last
// address in it that is not itself a trusted proxy). A header from anyone
// else is ignored: it is the client's to forge.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** One spelling per address: IPv4-mapped IPv6 as plain IPv4, IPv6 in lower case. */
export function normalAddress(a: string): string {
  const v = a.trim().toLowerCase();
  return v.startsWith('::ffff:') && isIP(v.slice(7)) === 4 ? v.slice(7) : v;
}

export function clientAddress(req: IncomingMessage, trusted: ReadonlySet<string>): string {
  const peer = normalAddress(req.socket.remoteAddress ?? '');
  if (trusted.size === 0 || !trusted.has(peer)) return peer;
  const raw = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(raw) ? raw.join(',') : raw ?? '').split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const a = normalAddress(hops[i]!);
    if (a === '') continue;
    // A malformed hop ends the trust: what lies before it cannot be vouched for.
    if (isIP(a) === 0) return peer;
    if (!trusted.has(a)) return a;
  }
  return peer;
}
