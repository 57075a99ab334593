// Content-Security-Policy of the pages and of the hashing worker. Nothing
// runs but the tracker's own bundle (no inline script or style), nothing is
// fetched from a third party; the page may talk to the tracker and to the
// storage nodes, since the tus PATCHes go to the node URL that creation gave.

/** Origins (scheme://host:port) of node URLs, deduplicated; anything that is not http(s) is left out. */
export function originsOf(urls: readonly string[]): string[] {
  const out = new Set<string>();
  for (const u of urls) {
    try {
      const parsed = new URL(u);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') out.add(parsed.origin);
    } catch {
      // a node announced something that is not a URL: it cannot be reached from a page anyway
    }
  }
  return [...out].sort();
}

/** The policy of every HTML page: `connect` are the node origins uploads may go to. */
export function pageCsp(connect: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    ['connect-src', "'self'", ...connect].join(' '),
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The policy a worker runs under comes with its own script: the hashing
 * worker compiles hash-wasm's WebAssembly, which needs 'wasm-unsafe-eval'
 * (WebAssembly only, never JavaScript eval), and reaches nothing.
 */
export const WORKER_CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'";
