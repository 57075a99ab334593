// Whether an upload may start: one decision for every door (PUT /upload,
// POST /api/uploads, tus creation at POST /files, and the size a node
// commits): the cluster's size limit, then the caller's tier's (docs/tiers.md).
// Storage nodes keep their own backstop on the bytes they actually receive.
import { HoardError } from '../../common/protocol/errors.js';
import { limitsOf, uploadSizeVerdict, type LimitsConfig } from '../accounts/limits.js';

import type { Tier } from '../../common/protocol/tiers.js';

/**
 * Who the upload is for, as far as the policy needs to know: a public caller
 * (anonymous or a signed-in user, with its tier), or a storage node
 * committing what it took.
 */
export type Uploader = { kind: 'anonymous'; tier: 'anonymous' } | { kind: 'user'; userId: string; tier: Tier } | { kind: 'node' };

export interface UploadLimits extends LimitsConfig {
  maxUploadSize: number;
}

export type UploadVerdict = { ok: true } | { ok: false; code: 'PAYLOAD_TOO_LARGE' | 'UPLOAD_TOO_LARGE'; message: string };

/**
 * `size` is undefined when the client did not declare it (a chunked PUT):
 * the node stops the body at the cluster's limit. A node committing what it
 * took is held to the cluster's limit only: its caller was checked at the door.
 */
export function uploadVerdict(limits: UploadLimits, uploader: Uploader, size: number | undefined): UploadVerdict {
  if (size !== undefined && size > limits.maxUploadSize) {
    return { ok: false, code: 'PAYLOAD_TOO_LARGE', message: `uploads are limited to ${limits.maxUploadSize} bytes` };
  }
  if (uploader.kind === 'node') return { ok: true };
  const v = uploadSizeVerdict(limitsOf(limits, uploader.tier), uploader.tier, size);
  return v.ok ? v : { ok: false, code: 'UPLOAD_TOO_LARGE', message: v.message };
}

/** uploadVerdict, thrown as a HoardError when the upload may not start. */
export function checkUpload(limits: UploadLimits, uploader: Uploader, size: number | undefined): void {
  const v = uploadVerdict(limits, uploader, size);
  if (!v.ok) throw new HoardError(v.code, v.message);
}
