// The audit log's entries: every admin action (takedowns, tier changes,
// account deletions…) is appended with who did it, when, to what. Ids are
// the time to the millisecond, a sequence number within it, then random
// bytes, so the log lists in the order it was written (at one tracker).
import { randomBytes } from 'node:crypto';
import type { AuditRecord } from './records.js';
import type { MetaStore } from './store.js';

/** Who an entry names when the tracker acted by its own rule (the repeat-infringer threshold). */
export const TRACKER_ACTOR = 'tracker';

/** The last id's millisecond and its sequence number in it: entries made in one millisecond keep their order. */
let lastMs = 0;
let seq = 0;

export function auditId(nowMs: number): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    seq = 0;
  } else {
    seq++;
  }
  // 'YYYYMMDDhhmmssSSS' then the sequence: sorts as time does for the next eight thousand years.
  return `${new Date(lastMs).toISOString().replace(/[-:.TZ]/g, '')}${String(seq).padStart(4, '0')}-${randomBytes(6).toString('hex')}`;
}

export interface AuditAction {
  actor: string;
  action: string;
  target: string;
  detail?: string;
}

export async function appendAudit(store: Pick<MetaStore, 'audit'>, nowMs: number, a: AuditAction): Promise<AuditRecord> {
  const entry: AuditRecord = { id: auditId(nowMs), at: new Date(nowMs).toISOString(), actor: a.actor, action: a.action, target: a.target };
  if (a.detail !== undefined && a.detail !== '') entry.detail = a.detail;
  await store.audit.append(entry);
  return entry;
}
