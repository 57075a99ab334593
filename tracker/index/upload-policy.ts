// Whether an upload may start: one decision for every door (PUT /upload,
// POST /api/uploads, tus creation at POST /files, and the size a node
// commits): the cluster's size limit, then the caller's tier's, then the
// account's storage quota (docs/tiers.md). What the door decided about the
// account travels with the upload, signed (common/sign.ts signOwner), to its
// commit, where the quota is held again in the same step as the usage moves.
// Storage nodes keep their own backstop on the bytes they actually receive.
import { HoardError } from '../../common/protocol/errors.js';
import type { OwnerClaim } from '../../common/sign.js';
import { limitsOf, storageVerdict, uploadSizeVerdict, type LimitsConfig } from '../accounts/limits.js';
import type { MetaStore } from '../meta/store.js';

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

/** What an admitted upload carries to its node: the account it is for, and a cap on an undeclared body. */
export interface UploadGrant {
  /** Absent for an anonymous upload (its link has no uploader). */
  owner?: OwnerClaim;
  /** Most bytes an undeclared (chunked) body may hold: the tier's upload limit. */
  max?: number;
}

/**
 * checkUpload, then the account's storage: refused (QUOTA_EXCEEDED, before
 * any byte is sent) when the declared size would take its usage past the
 * quota, or when nothing is left for an undeclared one. The commit checks
 * the quota again, with the size the node took.
 */
export async function admitUpload(limits: UploadLimits, store: Pick<MetaStore, 'accounts'>, uploader: Uploader, size: number | undefined): Promise<UploadGrant> {
  checkUpload(limits, uploader, size);
  if (uploader.kind !== 'user') return uploader.kind === 'anonymous' ? capOf(limits, uploader, size) : {};
  const tier = limitsOf(limits, uploader.tier);
  const owner: OwnerClaim = tier.storage === undefined ? { user: uploader.userId } : { user: uploader.userId, quota: tier.storage };
  if (tier.storage !== undefined) {
    const v = storageVerdict(tier, uploader.tier, await store.accounts.usage(uploader.userId), size);
    if (!v.ok) throw new HoardError('QUOTA_EXCEEDED', v.message);
  }
  return { owner, ...capOf(limits, uploader, size) };
}

function capOf(limits: UploadLimits, uploader: Exclude<Uploader, { kind: 'node' }>, size: number | undefined): Pick<UploadGrant, 'max'> {
  const max = limitsOf(limits, uploader.tier).uploadSize;
  return size === undefined && max !== undefined ? { max } : {};
}
