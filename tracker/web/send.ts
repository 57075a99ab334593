// Sending a page: HTML with the page policy (csp.ts) and headers that keep
// link ids where they belong (no Referer to other sites, no framing, no
// MIME sniffing). A HEAD gets the same head without the body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pageCsp } from './csp.js';

export interface PageOptions {
  /** Origins the page's scripts may connect to besides the tracker (storage nodes). */
  connect?: readonly string[];
  /** Cache-Control (default no-store: a page shows state that changes). */
  cache?: string;
  /** Extra headers (e.g. Vary). */
  headers?: Record<string, string>;
}

export function sendPage(req: IncomingMessage, res: ServerResponse, status: number, body: string, opts: PageOptions = {}): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': bytes.length,
    'cache-control': opts.cache ?? 'no-store',
    'content-security-policy': pageCsp(opts.connect ?? []),
    'x-content-type-options': 'nosniff',
    // same-origin, not no-referrer: a form post to this site must carry its Origin (the CSRF check), and other sites still get no Referer.
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
    ...opts.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
