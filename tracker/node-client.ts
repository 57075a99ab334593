// The tracker's calls to storage nodes (resumable uploads and proofs), with
// the cluster credential. Everything else flows node → tracker.
import { callJson } from '../common/client.js';
import type { Challenge } from '../common/proof.js';
import { TUS_NODE, type ProofComputeRequest, type ProofComputeResponse, type TusCreateRequest, type TusCreateResponse } from '../common/tus.js';

export function createUploadOnNode(nodeUrl: string, secret: string, req: TusCreateRequest): Promise<TusCreateResponse> {
  return callJson<TusCreateResponse>(nodeUrl, 'POST', TUS_NODE.create, { secret, body: req, timeoutMs: 10_000 });
}

export async function proofFromNode(nodeUrl: string, secret: string, blobId: string, uploadId: string, challenge: Challenge): Promise<string> {
  const body: ProofComputeRequest = { blobId, uploadId, challenge };
  const out = await callJson<ProofComputeResponse>(nodeUrl, 'POST', TUS_NODE.proof, { secret, body, timeoutMs: 30_000 });
  return out.proof;
}
