// Cluster-internal routes on a node (the tracker calls them): the same
// credential as node → tracker calls, bound to the exact request and body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import { readJson } from '../../common/http.js';
import { AUTH_HEADER } from '../../common/protocol/routes.js';
import { bodyDigest, verifyClusterAuth } from '../../common/sign.js';

const INTERNAL_BODY = 64 * 1024;
const EMPTY_DIGEST = bodyDigest('');

/** Checks the cluster credential (401 UNAUTHORIZED); returns the body digest it vouches for. */
export function checkInternalAuth(secret: string, req: IncomingMessage): string {
  const header = req.headers[AUTH_HEADER];
  // The MAC covers the request target exactly as sent; the digest vouches for the body.
  return verifyClusterAuth(secret, req.method ?? '', req.url ?? '', typeof header === 'string' ? header : undefined);
}

/** Checks the cluster credential (401 UNAUTHORIZED) and reads the JSON body it vouches for. */
export async function readInternalJson(secret: string, req: IncomingMessage): Promise<unknown> {
  return readJson<unknown>(req, INTERNAL_BODY, checkInternalAuth(secret, req));
}

/** A call that takes no body: its credential must vouch for an empty one. */
export function expectNoBody(digest: string): void {
  if (digest !== EMPTY_DIGEST) throw new HoardError('UNAUTHORIZED', 'Credential was made for a request with a body');
}

/** A call whose body is optional (POST with nothing to say): empty, or JSON the credential covers. */
export async function readOptionalJson(req: IncomingMessage, digest: string, limit: number): Promise<unknown> {
  if (digest !== EMPTY_DIGEST) return readJson<unknown>(req, limit, digest);
  for await (const chunk of req) {
    if ((chunk as Buffer).length > 0) throw new HoardError('UNAUTHORIZED', 'Body does not match the cluster credential');
  }
  return undefined;
}

export function allowMethods(res: ServerResponse, method: string, methods: readonly string[]): void {
  if (methods.includes(method)) return;
  res.setHeader('allow', methods.join(', '));
  throw new HoardError('METHOD_NOT_ALLOWED');
}
