// Takedowns on the wire (docs/takedowns.md): the operator's requests and the
// notices as the admin routes show them, the audit log's entries, and what
// the tracker tells nodes on their heartbeat streams so that a taken-down
// blob or link stops being served at once, signed URLs already handed out
// included.

export type TakedownScope = 'link' | 'content' | 'user';

export const TAKEDOWN_SCOPES: readonly TakedownScope[] = ['link', 'content', 'user'];

/** Set on a 451 answer: the public reference of the notice that took the link down. */
export const NOTICE_HEADER = 'x-hoard-notice';

/** Sent by hoard-admin on every admin call: who the operator is, for the audit log (the cluster credential says only that they hold it). */
export const ACTOR_HEADER = 'x-hoard-actor';

/** A notice's public reference and an actor's name: printable, one line, safe in a header. */
export const NOTICE_REF_RE = /^[A-Za-z0-9][A-Za-z0-9 ._:/#@+-]{0,127}$/;
export const ACTOR_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Most characters of a notice's reason. */
export const MAX_REASON = 2000;

/**
 * POST /internal/admin/takedowns. `target`: link scope a link id; content
 * scope a link id of the content or the blob's SHA-256; user scope an
 * account name or a link id of theirs.
 */
export interface TakedownRequest {
  scope: TakedownScope;
  target: string;
  reason: string;
  ref?: string;
  /** Legal hold: keep the bytes (no purge after the hold period). */
  keep?: boolean;
  /** User scope: disable the account too. */
  disableAccount?: boolean;
}

/** An uploader a notice named: their strikes (notices in force naming them) against the repeat-infringer threshold. */
export interface StrikeInfo {
  user: string;
  name?: string;
  strikes: number;
  /** True when this notice's count reached the threshold and the account was disabled for it. */
  disabledNow?: boolean;
}

/** A notice as the admin routes show it. */
export interface TakedownInfo {
  id: string;
  scope: TakedownScope;
  /** Link id, blob id (SHA-256) or account id. */
  target: string;
  reason: string;
  ref?: string;
  by: string;
  created: string;
  keep: boolean;
  disabledAccount?: boolean;
  uploaders: string[];
  inForce: boolean;
  /** When the links it covered were deleted after the hold period. */
  purged?: string;
  /** When its links are deleted, unless kept or lifted first. */
  purgeAfter?: string;
  lifted?: string;
  liftedBy?: string;
  /** Given when the notice is issued. */
  strikes?: StrikeInfo[];
}

/** GET /internal/admin/audit: one admin action. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail?: string;
}

/** A blob or a link a node must not serve, and the reference to answer with. */
export interface BlockedEntry {
  kind: 'blob' | 'link';
  id: string;
  ref?: string;
}

/**
 * On a node's heartbeat stream: `reset` starts the tracker's full list
 * again (sent after each registration, in batches, the later ones without
 * reset); otherwise `block` and `lift` change it.
 */
export interface TakedownsEvent {
  type: 'takedowns';
  reset?: boolean;
  block?: BlockedEntry[];
  lift?: BlockedEntry[];
}

/** Entries per stream line (a line stays well under the node's 64 KiB limit). */
export const BLOCKED_PER_LINE = 300;

/** The 451 message, naming the notice's reference when it has one. */
export function takenDownMessage(ref: string | undefined): string {
  return ref ? `Unavailable for legal reasons: taken down under notice ${ref}` : 'Unavailable for legal reasons: taken down under a notice';
}
