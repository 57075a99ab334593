// POST /internal/proof: the answer a client holding the blob would give to a
// challenge, computed from the stored copy. The tracker asks a holder for it
// when it issues the challenge and compares it with the client's answer.
// The ranges are read as stored (ChunkStore.readSample): checking the whole
// chunk each falls in cost more than the rest of a declared duplicate's upload.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import type { Matched, RouteHandler } from '../../common/router.js';
import { computeProof } from '../../common/proof.js';
import { formatChallenge, parseChallenge } from '../../common/protocol/proof.js';
import { SHA256_RE } from '../../common/protocol/ids.js';
import { UPLOAD_ID_RE } from '../../common/protocol/ids.js';
import { type ProofComputeResponse } from '../../common/protocol/types.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { readInternalJson } from './internal-body.js';
import { parseChallengeJson } from '../tus/state.js';

export function proofHandler(store: Pick<ChunkStore, 'get' | 'readSample'>): RouteHandler<unknown> {
  return (req: IncomingMessage, res: ServerResponse, m: Matched<unknown>) => handleProof(store, req, res, m.bodyDigest);
}

async function handleProof(store: Pick<ChunkStore, 'get' | 'readSample'>, req: IncomingMessage, res: ServerResponse, digest: string | undefined): Promise<void> {
  const body = (await readInternalJson(req, digest)) as Record<string, unknown> | null;
  const blobId = body?.blobId;
  const uploadId = body?.uploadId;
  if (typeof blobId !== 'string' || !SHA256_RE.test(blobId) || typeof uploadId !== 'string' || !UPLOAD_ID_RE.test(uploadId)) {
    throw new HoardError('BAD_REQUEST', 'blobId and uploadId are required');
  }
  const blob = await store.get(blobId);
  if (!blob) throw new HoardError('BLOB_NOT_FOUND');
  const given = parseChallengeJson(body?.challenge);
  const challenge = given && parseChallenge(formatChallenge(given), blob.manifest.size);
  if (!challenge) throw new HoardError('BAD_REQUEST', 'challenge is malformed or outside the blob');
  const proof = await computeProof(challenge, uploadId, blob.manifest.size, async function* (start, end) {
    yield await store.readSample(blobId, start, end);
  });
  const out: ProofComputeResponse = { proof };
  sendJson(res, 200, out);
}
