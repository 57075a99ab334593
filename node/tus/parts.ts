// A final upload's parts held by other nodes (tus concatenation): their
// bytes are fetched node to node with the cluster credential, and the parts
// are dropped there once the final upload ended.
import { request } from 'undici';
import { callJson, remoteError } from '../../common/client.js';
import { AUTH_HEADER, TUS_NODE } from '../../common/protocol/routes.js';
import type { TusPart } from '../../common/protocol/types.js';
import { clusterAuth } from '../../common/sign.js';

/** A part's bytes as the node holding it sends them (GET /internal/tus/<id>/bytes). */
export async function* fetchRemotePart(secret: string, part: TusPart): AsyncGenerator<Buffer> {
  const path = `${TUS_NODE.part}${part.uploadId}/bytes`;
  const res = await request(part.node.url + path, {
    method: 'GET',
    headers: { [AUTH_HEADER]: clusterAuth(secret, 'GET', path) },
    headersTimeout: 30_000,
    bodyTimeout: 60_000,
  });
  if (res.statusCode !== 200) throw remoteError(res.statusCode, await res.body.text());
  for await (const piece of res.body) yield piece as Buffer;
}

export async function dropRemotePart(secret: string, part: TusPart): Promise<void> {
  await callJson(part.node.url, 'DELETE', TUS_NODE.part + part.uploadId, { secret });
}
