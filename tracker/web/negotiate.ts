// Who gets a page and who gets the redirect: a browser navigating to a link
// names text/html in Accept; curl, wget, aria2c and scripts send */* or
// nothing, and keep the direct answer they always had.
import type { IncomingMessage } from 'node:http';

/** True when Accept lists text/html with a non-zero quality (a wildcard alone does not count). */
export function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (typeof accept !== 'string' || accept.length > 2048) return false;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (type !== 'text/html') continue;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
