// Cluster-internal routes on a node (the tracker calls them): the same
// credential as node → tracker calls, bound to the exact request and body.
import type { IncomingMessage } from 'node:http';
import { readJson } from '../common/http.js';
import { AUTH_HEADER } from '../common/protocol.js';
import { verifyClusterAuth } from '../common/sign.js';

const INTERNAL_BODY = 64 * 1024;

/** Checks the cluster credential (401 UNAUTHORIZED) and reads the JSON body it vouches for. */
export async function readInternalJson(secret: string, req: IncomingMessage): Promise<unknown> {
  const header = req.headers[AUTH_HEADER];
  const digest = verifyClusterAuth(secret, req.method ?? '', req.url ?? '', typeof header === 'string' ? header : undefined);
  return readJson<unknown>(req, INTERNAL_BODY, digest);
}
