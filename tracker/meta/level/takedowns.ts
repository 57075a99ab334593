// Takedown notices and the audit log on LevelDB (keys.ts): the notice with
// two indexes kept while it is in force, by (scope, target) and by each
// uploader it names; audit entries under their time-ordered ids.
import type { Level } from 'level';
import type { KeyedLock } from '../../../common/keyed-lock.js';
import type { AuditRecord, TakedownRecord } from '../records.js';
import { checkTakedownUpdate, isInForce } from '../rules.js';
import { StoreError, type AuditLog, type Page, type TakedownTable } from '../store.js';
import { END, isKeyPart, keys, part, ranges } from './keys.js';
import type { Op } from './transaction.js';

/** The lock notice writes take turns on (no MD5 or blob id contains a NUL). */
const TAKEDOWNS_LOCK = '\0takedowns';

type Db = Level<string, unknown>;

async function scan<T>(db: Db, prefix: string, page: Page): Promise<Array<[string, T]>> {
  const gt = page.after === undefined ? prefix : prefix + page.after;
  const out: Array<[string, T]> = [];
  for await (const [key, value] of db.iterator({ gt, lt: prefix + END, limit: page.limit })) out.push([key.slice(prefix.length), value as T]);
  return out;
}

/** The index entries of a notice in its state: none once lifted. */
function indexOps(n: TakedownRecord, type: 'put' | 'del'): Op[] {
  if (!isInForce(n)) return [];
  const entry = (key: string): Op => (type === 'put' ? { type, key, value: 1 } : { type, key });
  return [entry(keys.takedownOf(n.scope, n.target, n.id)), ...n.uploaders.map((u) => entry(keys.strike(u, n.id)))];
}

export function levelTakedowns(db: Db, locks: KeyedLock): TakedownTable {
  const get = async (id: string) => (isKeyPart(id) ? ((await db.get(keys.takedown(id))) as TakedownRecord | undefined) : undefined);
  const locked = <T>(fn: () => Promise<T>) => locks.run(TAKEDOWNS_LOCK, fn);
  return {
    create: (n) =>
      locked(async () => {
        part(n.id);
        part(n.target);
        for (const u of n.uploaders) part(u);
        if ((await get(n.id)) !== undefined) throw new StoreError('CONFLICT', `notice ${n.id} exists`);
        await db.batch<string, unknown>([{ type: 'put', key: keys.takedown(n.id), value: n }, ...indexOps(n, 'put')], { sync: true });
      }),
    get,
    list: async (page) => (await scan<TakedownRecord>(db, ranges.takedowns, page)).map(([, v]) => v),
    inForce: async (targets) => {
      const ids = new Set<string>();
      for (const t of targets) {
        if (!isKeyPart(t.target)) continue;
        for (const [id] of await scan(db, ranges.takedownsOf(t.scope, t.target), { limit: -1 })) ids.add(id);
      }
      const found = await Promise.all([...ids].sort().map(get));
      return found.filter((n): n is TakedownRecord => n !== undefined);
    },
    update: (id, fn) =>
      locked(async () => {
        const before = await get(id);
        if (!before) return undefined;
        const after = checkTakedownUpdate(before, fn(before));
        await db.batch<string, unknown>([...indexOps(before, 'del'), { type: 'put', key: keys.takedown(id), value: after }, ...indexOps(after, 'put')], { sync: true });
        return after;
      }),
    strikes: async (userId) => (isKeyPart(userId) ? (await scan(db, ranges.strikesOf(userId), { limit: -1 })).length : 0),
  };
}

export function levelAudit(db: Db, locks: KeyedLock): AuditLog {
  return {
    append: (a: AuditRecord) =>
      locks.run(TAKEDOWNS_LOCK, async () => {
        if ((await db.get(keys.audit(part(a.id)))) !== undefined) throw new StoreError('CONFLICT', `audit entry ${a.id} exists`);
        await db.put(keys.audit(a.id), a, { sync: true });
      }),
    list: async (page) => (await scan<AuditRecord>(db, ranges.audit, page)).map(([, v]) => v),
  };
}
