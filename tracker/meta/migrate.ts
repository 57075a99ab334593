// Moving a cluster's metadata from one store to another (LevelDB ⇄
// PostgreSQL), through the MetaStore interface only, so any two back ends
// work. Records are copied in pages, each written in a transaction under the
// key the tracker uses for it; a record the target holds already is left as
// it is, so a copy that was cut goes on where it stopped when run again.
// The counters follow from the records written, as in any transaction. The
// result is checked by counts and a SHA-256 over every record in a fixed
// order, computed on both stores.
import { createHash } from 'node:crypto';
import { pages as pageWalk, type Lister } from './paging.js';
import { pointKey, type BlobRecord, type MetaStore, type RecordWrite } from './store.js';

const PAGE = 500;
/** Transactions in flight at once: a few keep a database busy; a page's worth would queue past the connection pool's wait limit. */
const IN_FLIGHT = 8;

async function eachLimited<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(IN_FLIGHT, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export interface StoreSummary {
  nodes: number;
  blobs: number;
  links: number;
  uploads: number;
  badCopies: number;
  collisions: number;
  users: number;
  premiumKeys: number;
  /** The reward ledger: points and redemptions (each account's balance is in the checksum). */
  points: number;
  redemptions: number;
  takedowns: number;
  auditEntries: number;
  /** Complete downloads over every link (its counts go into the checksum with their link). */
  downloads: number;
  /** SHA-256 hex over every record (chunk lists and prefix digests with their blob) and the counters. */
  checksum: string;
}

export interface MigrateProgress {
  kind: string;
  copied: number;
  skipped: number;
}

/** JSON with object keys sorted: the same record reads back with keys in another order from another back end. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Whether the store's audit log holds this entry (the log has no reader by
 * id): ids are of one length, hex at the end, so at most 16 sort after the
 * id less its last character and up to it.
 */
async function hasAudit(store: MetaStore, id: string): Promise<boolean> {
  return (await store.audit.list({ limit: 16, after: id.slice(0, -1) })).some((a) => a.id === id);
}

/** Every page of a paged reader, in order, PAGE records at a time. */
const pages = <T>(read: Lister<T>, key: (r: T) => string): AsyncGenerator<T[]> => pageWalk(read, key, PAGE);

/** Counts and a checksum over every record of a store, read in the order the readers give. */
export async function summarize(store: MetaStore): Promise<StoreSummary> {
  const h = createHash('sha256');
  const add = (kind: string, v: unknown) => h.update(`${kind} ${canonical(v)}\n`);
  const s: StoreSummary = { nodes: 0, blobs: 0, links: 0, uploads: 0, badCopies: 0, collisions: 0, users: 0, premiumKeys: 0, points: 0, redemptions: 0, takedowns: 0, auditEntries: 0, downloads: 0, checksum: '' };
  for (const n of await store.nodes.list()) {
    add('node', n);
    s.nodes++;
  }
  for await (const page of pages((p) => store.blobs.list(p), (b) => b.id)) {
    const extra = await Promise.all(page.map(async (b) => [await store.blobs.chunks(b.id), await store.blobs.prefixes(b.id)] as const));
    page.forEach((b, i) => add('blob', { record: b, chunks: extra[i]![0], prefixes: extra[i]![1] }));
    s.blobs += page.length;
  }
  for await (const page of pages((p) => store.links.list(p), (l) => l.id)) {
    const counts = await store.downloadCounts.of(page.map((l) => l.id));
    for (const l of page) {
      const downloads = counts.get(l.id) ?? 0;
      add('link', downloads > 0 ? { record: l, downloads } : l);
      s.downloads += downloads;
    }
    s.links += page.length;
  }
  for await (const page of pages((p) => store.uploads.list(p), (u) => u.uploadId)) {
    for (const u of page) add('upload', u);
    s.uploads += page.length;
  }
  for await (const page of pages((p) => store.badCopies.list(p), (r) => `${r.blobId}:${r.nodeId}`)) {
    for (const r of page) add('badCopy', r);
    s.badCopies += page.length;
  }
  for await (const page of pages((p) => store.blobs.collisions(p), (c) => c.md5)) {
    for (const c of page) add('collision', c);
    s.collisions += page.length;
  }
  for await (const page of pages((p) => store.accounts.users(p), (u) => u.id)) {
    for (const u of page) {
      const [usage, credentials] = await Promise.all([store.accounts.usage(u.id), store.accounts.credentialsOf(u.id)]);
      add('user', { record: u, usage, credentials });
      add('balance', { userId: u.id, balance: await store.rewards.balance(u.id) });
      for await (const points of pages((p) => store.rewards.points(u.id, p), pointKey)) {
        for (const pt of points) add('point', pt);
        s.points += points.length;
      }
      for await (const reds of pages((p) => store.rewards.redemptions(u.id, p), (r) => r.id)) {
        for (const r of reds) add('redemption', r);
        s.redemptions += reds.length;
      }
    }
    s.users += page.length;
  }
  for await (const page of pages((p) => store.accounts.keys(p), (k) => k.id)) {
    for (const k of page) add('premiumKey', k);
    s.premiumKeys += page.length;
  }
  for await (const page of pages((p) => store.takedowns.list(p), (n) => n.id)) {
    for (const n of page) add('takedown', n);
    s.takedowns += page.length;
  }
  for await (const page of pages((p) => store.audit.list(p), (a) => a.id)) {
    for (const a of page) add('audit', a);
    s.auditEntries += page.length;
  }
  add('counters', await store.counters());
  s.checksum = h.digest('hex');
  return s;
}

/**
 * Copies every record of `from` missing in `to`. Run on stores no tracker
 * writes meanwhile (stop the tracker first): records changed during the copy
 * would be missed or copied half-way.
 */
export async function migrateStore(from: MetaStore, to: MetaStore, progress: (p: MigrateProgress) => void = () => undefined): Promise<void> {
  const report = (kind: string, copied: number, skipped: number) => progress({ kind, copied, skipped });

  let copied = 0;
  let skipped = 0;
  for (const n of await from.nodes.list()) {
    if (await to.nodes.get(n.id)) skipped++;
    else {
      await to.nodes.put(n);
      copied++;
    }
  }
  report('nodes', copied, skipped);

  // A blob with its chunk list and prefix digests, under its MD5 as every write of a blob.
  copied = skipped = 0;
  for await (const page of pages((p) => from.blobs.list(p), (b) => b.id)) {
    await eachLimited(page, async (b: BlobRecord) => {
      const [chunks, prefixes] = await Promise.all([from.blobs.chunks(b.id), from.blobs.prefixes(b.id)]);
      const wrote = await to.transact(b.md5, async (tx) => {
        if (await tx.blob(b.id)) return false;
        const w: RecordWrite = { type: 'blob', id: b.id, record: b, chunks: chunks ?? [] };
        if (prefixes) w.prefixes = prefixes;
        await tx.write(w);
        return true;
      });
      if (wrote) copied++;
      else skipped++;
    });
    report('blobs', copied, skipped);
  }

  // Accounts before links (a link's uploader names one), each with its
  // credentials, its usage and its reward ledger. Every step leaves what the
  // target holds already, so an account a cut left half-copied is completed.
  copied = skipped = 0;
  const ledger = { points: 0, pointsThere: 0, redemptions: 0, redemptionsThere: 0 };
  for await (const page of pages((p) => from.accounts.users(p), (u) => u.id)) {
    for (const u of page) {
      if (await to.accounts.user(u.id)) skipped++;
      else {
        await to.accounts.createUser(u);
        copied++;
      }
      // Usage moves as a counter of its own (links are copied without moving it): what the target lacks of it.
      const [usage, usageThere] = await Promise.all([from.accounts.usage(u.id), to.accounts.usage(u.id)]);
      if (usage !== usageThere) await to.transact(`user:${u.id}`, (tx) => tx.write({ type: 'usage', userId: u.id, delta: usage - usageThere }));
      for (const c of await from.accounts.credentialsOf(u.id)) await to.accounts.putCredential(c);
      // Points through the award step with no cap (it keeps the balance and the day counts), redemptions as they were.
      for await (const points of pages((p) => from.rewards.points(u.id, p), pointKey)) {
        for (const pt of points) {
          const outcome = await to.rewards.award(pt, Number.MAX_SAFE_INTEGER);
          if (outcome === 'awarded') ledger.points++;
          else if (outcome === 'duplicate') ledger.pointsThere++;
          else throw new Error(`point ${pt.id} of account ${u.id} not copied: ${outcome}`);
        }
      }
      for await (const reds of pages((p) => from.rewards.redemptions(u.id, p), (r) => r.id)) {
        for (const r of reds) {
          if (await to.rewards.restore(r)) ledger.redemptions++;
          else ledger.redemptionsThere++;
        }
      }
    }
    report('users', copied, skipped);
  }
  report('reward points', ledger.points, ledger.pointsThere);
  report('reward redemptions', ledger.redemptions, ledger.redemptionsThere);
  copied = skipped = 0;
  for await (const page of pages((p) => from.accounts.keys(p), (k) => k.id)) {
    for (const k of page) {
      if (await to.accounts.key(k.id)) skipped++;
      else {
        await to.accounts.createKey(k);
        copied++;
      }
    }
    report('premium keys', copied, skipped);
  }
  // Takedown notices as they stand (lifted or not), and the audit log entry by entry.
  copied = skipped = 0;
  for await (const page of pages((p) => from.takedowns.list(p), (n) => n.id)) {
    for (const n of page) {
      if (await to.takedowns.get(n.id)) skipped++;
      else {
        await to.takedowns.create(n);
        copied++;
      }
    }
    report('takedown notices', copied, skipped);
  }
  copied = skipped = 0;
  for await (const page of pages((p) => from.audit.list(p), (a) => a.id)) {
    for (const a of page) {
      if (await hasAudit(to, a.id)) skipped++;
      else {
        await to.audit.append(a);
        copied++;
      }
    }
    report('audit entries', copied, skipped);
  }

  copied = skipped = 0;
  for await (const page of pages((p) => from.links.list(p), (l) => l.id)) {
    await eachLimited(page, async (l) => {
      const md5 = (await from.blobs.get(l.blobId))?.md5 ?? l.blobId;
      const wrote = await to.transact(md5, async (tx) => {
        if (await tx.link(l.id)) return false;
        await tx.write({ type: 'link', id: l.id, record: l });
        return true;
      });
      if (wrote) copied++;
      else skipped++;
    });
    report('links', copied, skipped);
  }

  // Download counts after their links: what the target lacks is added, so a run again adds nothing twice.
  copied = skipped = 0;
  for await (const page of pages((p) => from.links.list(p), (l) => l.id)) {
    const ids = page.map((l) => l.id);
    const [had, has] = await Promise.all([from.downloadCounts.of(ids), to.downloadCounts.of(ids)]);
    const missing = new Map<string, number>();
    for (const id of ids) {
      const n = (had.get(id) ?? 0) - (has.get(id) ?? 0);
      if (n > 0) missing.set(id, n);
      else if ((had.get(id) ?? 0) > 0) skipped++;
    }
    await to.downloadCounts.add(missing);
    copied += missing.size;
    report('download counts', copied, skipped);
  }

  copied = skipped = 0;
  for await (const page of pages((p) => from.uploads.list(p), (u) => u.uploadId)) {
    for (const u of page) {
      const wrote = await to.transact(`upload:${u.uploadId}`, async (tx) => {
        if ((await tx.linkOfUpload(u.uploadId)) !== undefined) return false;
        await tx.write({ type: 'upload', record: u });
        return true;
      });
      if (wrote) copied++;
      else skipped++;
    }
    report('uploads', copied, skipped);
  }

  // Bad copies and collision marks are written as they are (the same record twice is the same state).
  copied = 0;
  for await (const page of pages((p) => from.badCopies.list(p), (r) => `${r.blobId}:${r.nodeId}`)) {
    for (const r of page) {
      const md5 = (await from.blobs.get(r.blobId))?.md5 ?? r.blobId;
      await to.transact(md5, (tx) => tx.write({ type: 'badCopy', blobId: r.blobId, nodeId: r.nodeId, record: r }));
      copied++;
    }
    report('bad copies', copied, 0);
  }
  copied = 0;
  for await (const page of pages((p) => from.blobs.collisions(p), (c) => c.md5)) {
    for (const c of page) {
      await to.transact(c.md5, (tx) => tx.write({ type: 'md5Collision', record: c }));
      copied++;
    }
    report('collisions', copied, 0);
  }
}
