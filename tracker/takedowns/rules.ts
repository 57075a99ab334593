// The takedown rules as pure functions (table tests in
// test/unit/tracker/takedowns/rules.test.ts): which notice stops a link,
// what nodes must refuse, the repeat-infringer threshold, the hold before
// a notice's links are purged, and the operator's request as checked.
import { HoardError } from '../../common/protocol/errors.js';
import { object, type Json } from '../../common/protocol/fields.js';
import { MAX_REASON, NOTICE_REF_RE, TAKEDOWN_SCOPES, type BlockedEntry, type TakedownRequest, type TakedownScope } from '../../common/protocol/takedowns.js';
import type { LinkRecord, TakedownRecord } from '../meta/store.js';

export type NoticeFinder = (scope: TakedownScope, target: string) => TakedownRecord | undefined;

/** The notice in force that stops this link: its own first, then its content's, then its uploader's. */
export function blockingNotice(find: NoticeFinder, link: Pick<LinkRecord, 'id' | 'blobId' | 'uploader'>): TakedownRecord | undefined {
  return find('link', link.id) ?? find('content', link.blobId) ?? (link.uploader === undefined ? undefined : find('user', link.uploader));
}

const entryKey = (e: Pick<BlockedEntry, 'kind' | 'id'>) => `${e.kind}:${e.id}`;

/**
 * What nodes refuse for these notices in force: the blob of each content
 * notice, the link of each link notice and the links a user notice covered
 * (`linksOf`). An entry two notices name carries the older one's reference.
 */
export function blockedEntries(notices: Iterable<TakedownRecord>, linksOf: (n: TakedownRecord) => readonly string[]): Map<string, BlockedEntry> {
  const out = new Map<string, BlockedEntry>();
  const add = (kind: BlockedEntry['kind'], id: string, ref: string | undefined) => {
    const key = entryKey({ kind, id });
    if (!out.has(key)) out.set(key, ref === undefined ? { kind, id } : { kind, id, ref });
  };
  for (const n of [...notices].sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : 1))) {
    if (n.lifted !== undefined) continue;
    if (n.scope === 'content') add('blob', n.target, n.ref);
    else if (n.scope === 'link') add('link', n.target, n.ref);
    else for (const id of linksOf(n)) add('link', id, n.ref);
  }
  return out;
}

/** What changed between two lists of entries, as a node is told it. */
export function diffEntries(before: ReadonlyMap<string, BlockedEntry>, after: ReadonlyMap<string, BlockedEntry>): { block: BlockedEntry[]; lift: BlockedEntry[] } {
  const block: BlockedEntry[] = [];
  const lift: BlockedEntry[] = [];
  for (const [k, e] of after) {
    const old = before.get(k);
    if (!old || old.ref !== e.ref) block.push(e);
  }
  for (const [k, e] of before) if (!after.has(k)) lift.push({ kind: e.kind, id: e.id });
  return { block, lift };
}

/** The repeat-infringer rule: an account named by `threshold` notices in force is disabled (0: never). */
export function reachesThreshold(strikes: number, threshold: number): boolean {
  return threshold > 0 && strikes >= threshold;
}

/** When a notice's links are deleted (its bytes then go with GC): the hold after it was issued, unless kept. */
export function purgeAfter(n: Pick<TakedownRecord, 'created' | 'keep' | 'lifted' | 'purged'>, holdS: number): string | undefined {
  if (n.keep === true || n.lifted !== undefined || n.purged !== undefined) return undefined;
  return new Date(Date.parse(n.created) + holdS * 1000).toISOString();
}

export function purgeDue(n: Pick<TakedownRecord, 'created' | 'keep' | 'lifted' | 'purged'>, holdS: number, nowMs: number): boolean {
  const after = purgeAfter(n, holdS);
  return after !== undefined && Date.parse(after) <= nowMs;
}

const bool = (b: Json, key: string): boolean | undefined => {
  const v = b[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new HoardError('BAD_REQUEST', `${key} must be true or false`);
  return v;
};

/** The operator's request as POST /internal/admin/takedowns takes it. */
export function checkTakedownRequest(body: unknown): TakedownRequest {
  const b = object(body);
  if (typeof b.scope !== 'string' || !(TAKEDOWN_SCOPES as readonly string[]).includes(b.scope)) throw new HoardError('BAD_REQUEST', 'scope must be link, content or user');
  if (typeof b.target !== 'string' || b.target === '' || b.target.length > 256) throw new HoardError('BAD_REQUEST', 'target is missing');
  if (typeof b.reason !== 'string' || b.reason.trim() === '' || b.reason.length > MAX_REASON) throw new HoardError('BAD_REQUEST', `reason is missing or over ${MAX_REASON} characters`);
  if (b.ref !== undefined && (typeof b.ref !== 'string' || !NOTICE_REF_RE.test(b.ref))) {
    throw new HoardError('BAD_REQUEST', 'ref must be 1-128 printable characters (letters, digits, space and ._:/#@+-)');
  }
  const req: TakedownRequest = { scope: b.scope as TakedownScope, target: b.target, reason: b.reason.trim() };
  if (b.ref !== undefined) req.ref = b.ref as string;
  const keep = bool(b, 'keep');
  if (keep) req.keep = true;
  const disable = bool(b, 'disableAccount');
  if (disable) {
    if (req.scope !== 'user') throw new HoardError('BAD_REQUEST', 'disableAccount goes with the user scope');
    req.disableAccount = true;
  }
  return req;
}
