// Bodies of cluster-internal calls: the router has checked the credential
// and passes the body digest it vouches for; these make sure the body read
// is the one it covers.
import type { IncomingMessage } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import { readJson } from '../../common/http.js';
import { bodyDigest } from '../../common/sign.js';

const EMPTY_DIGEST = bodyDigest('');

/** The digest of a checked credential; a route reached without one was not declared internal. */
function vouched(digest: string | undefined): string {
  if (digest === undefined) throw new HoardError('UNAUTHORIZED', 'No cluster credential was checked for this route');
  return digest;
}

/** A call that takes no body: its credential must vouch for an empty one. */
export function expectNoBody(digest: string | undefined): void {
  if (vouched(digest) !== EMPTY_DIGEST) throw new HoardError('UNAUTHORIZED', 'Credential was made for a request with a body');
}

/** A call whose body is optional (POST with nothing to say): empty, or JSON the credential covers. */
export async function readOptionalJson(req: IncomingMessage, digest: string | undefined, limit: number): Promise<unknown> {
  if (vouched(digest) !== EMPTY_DIGEST) return readJson<unknown>(req, limit, digest);
  for await (const chunk of req) {
    if ((chunk as Buffer).length > 0) throw new HoardError('UNAUTHORIZED', 'Body does not match the cluster credential');
  }
  return undefined;
}

/** A JSON body the credential covers (internal routes that need one). */
export function readInternalJson(req: IncomingMessage, digest: string | undefined, limit = 64 * 1024): Promise<unknown> {
  return readJson<unknown>(req, limit, vouched(digest));
}
