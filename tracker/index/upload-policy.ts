// Whether an upload may start: one decision for every door (PUT /upload,
// POST /api/uploads, tus creation at POST /files, and the size a node
// commits). Today a size limit; per-caller quotas and tiers plug in here.
// Storage nodes keep their own backstop on the bytes they actually receive.
import { HoardError } from '../../common/protocol/errors.js';

import type { Tier } from '../../common/protocol/tiers.js';

/**
 * Who the upload is for, as far as the policy needs to know: a public caller
 * (anonymous or a signed-in user, with its tier), or a storage node
 * committing what it took.
 */
export type Uploader = { kind: 'anonymous'; tier: 'anonymous' } | { kind: 'user'; userId: string; tier: Tier } | { kind: 'node' };

export interface UploadLimits {
  maxUploadSize: number;
}

export type UploadVerdict = { ok: true } | { ok: false; code: 'PAYLOAD_TOO_LARGE'; message: string };

/** `size` is undefined when the client did not declare it (a chunked PUT): the node stops the body at the limit. */
export function uploadVerdict(limits: UploadLimits, _uploader: Uploader, size: number | undefined): UploadVerdict {
  if (size !== undefined && size > limits.maxUploadSize) {
    return { ok: false, code: 'PAYLOAD_TOO_LARGE', message: `uploads are limited to ${limits.maxUploadSize} bytes` };
  }
  return { ok: true };
}

/** uploadVerdict, thrown as a HoardError when the upload may not start. */
export function checkUpload(limits: UploadLimits, uploader: Uploader, size: number | undefined): void {
  const v = uploadVerdict(limits, uploader, size);
  if (!v.ok) throw new HoardError(v.code, v.message);
}
