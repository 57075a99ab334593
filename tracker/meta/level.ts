// MetaStore on embedded LevelDB. Key layout (values JSON):
//   meta:schema            → SCHEMA_VERSION
//   s:counters             → StoreCounters
//   n:<nodeId>             → NodeRecord
//   b:<blobId>             → BlobRecord
//   c:<blobId>             → ChunkInfo[] (kept apart so hot blob reads stay small)
//   m:<md5>:<blobId>       → 1   (MD5 index; several blobs only on a collision)
//   l:<linkId>             → LinkRecord
//   r:<blobId>:<linkId>    → 1   (links of a blob, for takedowns)
//   p:<blobId>             → PrefixHash[] (prefix index, for early stop)
//   x:<md5>                → { since }  (MD5 seen with two contents: no early stop)
//   u:<uploadId>           → linkId (what a resumable upload ended as)
//   z:<blobId>             → ISO time the last link went (blobs awaiting GC)
//   q:<blobId>:<nodeId>    → BadCopyRecord (copies withdrawn until repaired)
// z: and q: arrived after schema 1 without a bump: a store without them
// simply has no deleted links and no bad copies.
// Every multi-key change is one batch; writes go through one queue so the
// counters are read-modified-written without races.
import { Level } from 'level';
import type { PrefixHash } from '../../common/protocol/prefix.js';
import type { ChunkInfo } from '../../common/protocol/types.js';
import {
  SCHEMA_VERSION,
  StoreError,
  type BlobNodesChange,
  type BadCopyRecord,
  type BlobRecord,
  type DeletedBlob,
  type MarkBadResult,
  type CommitResult,
  type CommitWrite,
  type LinkRecord,
  type MetaStore,
  type NodeRecord,
  type Page,
  type StoreCounters,
} from './store.js';

type Op = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

interface PendingCommit {
  write: CommitWrite;
  resolve: (r: CommitResult) => void;
  reject: (err: unknown) => void;
}

const SCHEMA_KEY = 'meta:schema';
const COUNTERS_KEY = 's:counters';
// Above every character used in ids, so `prefix + END` bounds a prefix scan.
const END = '\xff';
const KEY_PART_RE = /^[A-Za-z0-9_-]{1,128}$/;

function part(v: string): string {
  if (!KEY_PART_RE.test(v)) throw new TypeError(`invalid key part ${JSON.stringify(v)}`);
  return v;
}

const zeroCounters = (): StoreCounters => ({ blobs: 0, links: 0, bytesStored: 0, logicalBytes: 0, uniqueBytes: 0 });

export class LevelMetaStore implements MetaStore {
  private readonly db: Level<string, unknown>;
  private counts: StoreCounters = zeroCounters();
  private queue: Promise<unknown> = Promise.resolve();
  /** Commits waiting for the next group (see applyGroup). */
  private pending: PendingCommit[] = [];

  constructor(readonly location: string) {
    this.db = new Level<string, unknown>(location, { valueEncoding: 'json' });
  }

  async open(): Promise<void> {
    await this.db.open();
    try {
      await this.checkSchema();
      this.counts = { ...zeroCounters(), ...((await this.db.get(COUNTERS_KEY)) as StoreCounters | undefined) };
    } catch (err) {
      await this.db.close();
      throw err;
    }
  }

  private async checkSchema(): Promise<void> {
    const version = await this.db.get(SCHEMA_KEY);
    if (version === undefined) {
      for await (const key of this.db.keys({ limit: 1 })) {
        throw new StoreError('SCHEMA_VERSION', `store at ${this.location} has data (${key}) but no schema version`);
      }
      await this.db.batch([
        { type: 'put', key: SCHEMA_KEY, value: SCHEMA_VERSION },
        { type: 'put', key: COUNTERS_KEY, value: zeroCounters() },
      ]);
      return;
    }
    if (version !== SCHEMA_VERSION) {
      throw new StoreError('SCHEMA_VERSION', `store at ${this.location} has schema version ${JSON.stringify(version)}; this tracker reads ${SCHEMA_VERSION}`);
    }
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.db.status === 'open') await this.db.close();
  }

  /** Runs writes one at a time; a failed one does not block the next. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async read<T>(key: string): Promise<T | undefined> {
    return (await this.db.get(key)) as T | undefined;
  }

  private async scan<T>(prefix: string, page: Page): Promise<Array<[string, T]>> {
    const gt = page.after === undefined ? prefix : prefix + page.after;
    const out: Array<[string, T]> = [];
    for await (const [key, value] of this.db.iterator({ gt, lt: prefix + END, limit: page.limit })) {
      out.push([key.slice(prefix.length), value as T]);
    }
    return out;
  }

  putNode(node: NodeRecord): Promise<void> {
    return this.db.put('n:' + part(node.id), node);
  }

  getNode(id: string): Promise<NodeRecord | undefined> {
    return KEY_PART_RE.test(id) ? this.read<NodeRecord>('n:' + id) : Promise.resolve(undefined);
  }

  async listNodes(): Promise<NodeRecord[]> {
    return (await this.scan<NodeRecord>('n:', { limit: -1 })).map(([, v]) => v);
  }

  getBlob(id: string): Promise<BlobRecord | undefined> {
    return KEY_PART_RE.test(id) ? this.read<BlobRecord>('b:' + id) : Promise.resolve(undefined);
  }

  getChunks(id: string): Promise<ChunkInfo[] | undefined> {
    return KEY_PART_RE.test(id) ? this.read<ChunkInfo[]>('c:' + id) : Promise.resolve(undefined);
  }

  async blobsByMd5(md5: string): Promise<BlobRecord[]> {
    if (!KEY_PART_RE.test(md5)) return [];
    const ids = (await this.scan<number>(`m:${md5}:`, { limit: -1 })).map(([id]) => 'b:' + id);
    const blobs = ids.length ? await this.db.getMany(ids) : [];
    return blobs.filter((b): b is BlobRecord => b !== undefined);
  }

  async listBlobs(page: Page): Promise<BlobRecord[]> {
    return (await this.scan<BlobRecord>('b:', page)).map(([, v]) => v);
  }

  setBlobNodes(id: string, nodes: string[]): Promise<BlobRecord> {
    return this.serial(async () => {
      const old = await this.getBlob(id);
      if (!old) throw new StoreError('NOT_FOUND', `no blob ${id}`);
      const blob: BlobRecord = { ...old, nodes: [...new Set(nodes)] };
      const next = { ...this.counts, bytesStored: this.counts.bytesStored + old.size * (blob.nodes.length - old.nodes.length) };
      await this.db.batch<string, unknown>([
        { type: 'put', key: 'b:' + id, value: blob },
        { type: 'put', key: COUNTERS_KEY, value: next },
      ], {});
      this.counts = next;
      return blob;
    });
  }

  changeBlobNodes(id: string, change: BlobNodesChange): Promise<BlobRecord> {
    return this.serial(async () => {
      const old = await this.getBlob(id);
      if (!old) throw new StoreError('NOT_FOUND', `no blob ${id}`);
      const drop = new Set(change.remove ?? []);
      const nodes = [...new Set([...old.nodes, ...(change.add ?? [])])].filter((n) => !drop.has(n));
      if (nodes.length === old.nodes.length && nodes.every((n, i) => n === old.nodes[i])) return old;
      const blob: BlobRecord = { ...old, nodes };
      const next = { ...this.counts, bytesStored: this.counts.bytesStored + old.size * (nodes.length - old.nodes.length) };
      await this.db.batch<string, unknown>([
        { type: 'put', key: 'b:' + id, value: blob },
        { type: 'put', key: COUNTERS_KEY, value: next },
      ], {});
      this.counts = next;
      return blob;
    });
  }

  getLink(id: string): Promise<LinkRecord | undefined> {
    return KEY_PART_RE.test(id) ? this.read<LinkRecord>('l:' + id) : Promise.resolve(undefined);
  }

  async listLinks(page: Page): Promise<LinkRecord[]> {
    return (await this.scan<LinkRecord>('l:', page)).map(([, v]) => v);
  }

  async linksOfBlob(blobId: string, page: Page): Promise<string[]> {
    if (!KEY_PART_RE.test(blobId)) return [];
    return (await this.scan<number>(`r:${blobId}:`, page)).map(([id]) => id);
  }

  commit(write: CommitWrite): Promise<CommitResult> {
    return new Promise<CommitResult>((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      // A group is queued once, when its first commit arrives; later arrivals join it until it runs.
      if (this.pending.length === 1) void this.serial(() => this.applyGroup());
    });
  }

  async getPrefixes(blobId: string): Promise<PrefixHash[] | undefined> {
    return KEY_PART_RE.test(blobId) ? this.read<PrefixHash[]>('p:' + blobId) : undefined;
  }

  async md5Collision(md5: string): Promise<boolean> {
    return KEY_PART_RE.test(md5) && (await this.read<unknown>('x:' + md5)) !== undefined;
  }

  async linkOfUpload(uploadId: string): Promise<string | undefined> {
    return KEY_PART_RE.test(uploadId) ? this.read<string>('u:' + uploadId) : undefined;
  }

  /**
   * Applies every commit waiting now (group commit): one getMany for their
   * keys, each decided in arrival order on top of the ones before it, one
   * synced batch for all. A commit failing its checks is refused alone.
   */
  private async applyGroup(): Promise<void> {
    const group = this.pending;
    this.pending = [];
    const valid: PendingCommit[] = [];
    for (const p of group) {
      try {
        const { link, blob, uploadId } = p.write;
        part(link.id);
        part(blob.id);
        part(blob.md5);
        if (uploadId !== undefined) part(uploadId);
        valid.push(p);
      } catch (err) {
        p.reject(err);
      }
    }
    if (valid.length === 0) return;
    const keys = [
      ...new Set(
        valid.flatMap(({ write: w }) => ['l:' + w.link.id, 'b:' + w.blob.id, ...(w.uploadId === undefined ? [] : ['u:' + w.uploadId])]),
      ),
    ];
    let values: unknown[];
    try {
      values = await this.db.getMany(keys);
    } catch (err) {
      for (const p of valid) p.reject(err);
      return;
    }
    // What the store holds for these keys, with this group's earlier decisions on top.
    const view = new Map<string, unknown>(keys.map((k, i) => [k, values[i]]));
    const ops: Op[] = [];
    const decided: Array<[PendingCommit, CommitResult]> = [];
    let counts = this.counts;
    for (const p of valid) {
      try {
        const d = decideCommit(p.write, view, counts);
        ops.push(...d.ops);
        counts = d.counts;
        for (const op of d.ops) if (op.type === 'put') view.set(op.key, op.value);
        decided.push([p, d.result]);
      } catch (err) {
        p.reject(err);
      }
    }
    if (decided.length === 0) return;
    ops.push({ type: 'put', key: COUNTERS_KEY, value: counts });
    try {
      // Synced: an uploader holds a link only once this write is on disk, so a crash cannot take it back.
      await this.db.batch<string, unknown>(ops, { sync: true });
    } catch (err) {
      for (const [p] of decided) p.reject(err);
      return;
    }
    this.counts = counts;
    for (const [p, r] of decided) p.resolve(r);
  }

  async counters(): Promise<StoreCounters> {
    return { ...this.counts };
  }

  // ---- delete, GC, bad copies ----

  deleteLink(id: string, now: string): Promise<{ link: LinkRecord; blob?: BlobRecord } | undefined> {
    return this.serial(async () => {
      const link = await this.getLink(id);
      if (!link) return undefined;
      const old = await this.getBlob(link.blobId);
      const c = this.counts;
      const ops: Op[] = [
        { type: 'del', key: 'l:' + link.id },
        { type: 'del', key: `r:${link.blobId}:${link.id}` },
      ];
      let next: StoreCounters = { ...c, links: c.links - 1 };
      let blob: BlobRecord | undefined;
      if (old) {
        const refs = Math.max(0, old.refs - 1);
        blob = { ...old, refs };
        if (refs === 0) {
          blob.unreferencedSince = old.unreferencedSince ?? now;
          ops.push({ type: 'put', key: 'z:' + old.id, value: blob.unreferencedSince });
        }
        ops.push({ type: 'put', key: 'b:' + old.id, value: blob });
        next = { ...next, logicalBytes: c.logicalBytes - old.size };
      }
      ops.push({ type: 'put', key: COUNTERS_KEY, value: next });
      await this.db.batch<string, unknown>(ops, {});
      this.counts = next;
      // A link to a missing blob is removed all the same.
      return { link, blob };
    });
  }

  async listUnreferenced(page: Page): Promise<BlobRecord[]> {
    const ids = (await this.scan<string>('z:', page)).map(([id]) => 'b:' + id);
    const blobs = ids.length ? await this.db.getMany(ids) : [];
    return blobs.filter((b): b is BlobRecord => b !== undefined);
  }

  deleteBlob(id: string): Promise<DeletedBlob | undefined> {
    return this.serial(async () => {
      const blob = await this.getBlob(id);
      if (!blob) return undefined;
      if (blob.refs > 0) throw new StoreError('CONFLICT', `blob ${id} still has ${blob.refs} link(s)`);
      const bad = await this.badCopiesOf(id);
      const c = this.counts;
      const next: StoreCounters = {
        ...c,
        blobs: c.blobs - 1,
        bytesStored: c.bytesStored - blob.size * blob.nodes.length,
        uniqueBytes: c.uniqueBytes - blob.size,
      };
      const ops: Op[] = [
        { type: 'del', key: 'b:' + id },
        { type: 'del', key: 'c:' + id },
        { type: 'del', key: `m:${blob.md5}:${id}` },
        { type: 'del', key: 'z:' + id },
        ...bad.map((b): Op => ({ type: 'del', key: `q:${id}:${b.nodeId}` })),
        { type: 'put', key: COUNTERS_KEY, value: next },
      ];
      await this.db.batch<string, unknown>(ops, {});
      this.counts = next;
      return { blob, badNodes: bad.map((b) => b.nodeId) };
    });
  }

  markCopyBad(rec: BadCopyRecord): Promise<MarkBadResult | undefined> {
    part(rec.nodeId);
    return this.serial(async () => {
      const old = await this.getBlob(rec.blobId);
      if (!old) return undefined;
      const key = `q:${old.id}:${rec.nodeId}`;
      const wasHolder = old.nodes.includes(rec.nodeId);
      const known = (await this.read<BadCopyRecord>(key)) !== undefined;
      if (!wasHolder && !known) return { blob: old, recorded: false };
      const blob: BlobRecord = { ...old, nodes: old.nodes.filter((n) => n !== rec.nodeId) };
      const next = { ...this.counts, bytesStored: this.counts.bytesStored - (wasHolder ? old.size : 0) };
      await this.db.batch<string, unknown>([
        { type: 'put', key, value: { ...rec, blobId: old.id } },
        { type: 'put', key: 'b:' + old.id, value: blob },
        { type: 'put', key: COUNTERS_KEY, value: next },
      ], {});
      this.counts = next;
      return { blob, recorded: true };
    });
  }

  async listBadCopies(page: Page): Promise<BadCopyRecord[]> {
    return (await this.scan<BadCopyRecord>('q:', page)).map(([, v]) => v);
  }

  async badCopiesOf(blobId: string): Promise<BadCopyRecord[]> {
    if (!KEY_PART_RE.test(blobId)) return [];
    return (await this.scan<BadCopyRecord>(`q:${blobId}:`, { limit: -1 })).map(([, v]) => v);
  }

  restoreCopy(blobId: string, nodeId: string): Promise<BlobRecord | undefined> {
    part(nodeId);
    return this.serial(async () => {
      const old = await this.getBlob(blobId);
      if (!old) return undefined;
      const has = old.nodes.includes(nodeId);
      const blob: BlobRecord = has ? old : { ...old, nodes: [...old.nodes, nodeId] };
      const next = { ...this.counts, bytesStored: this.counts.bytesStored + (has ? 0 : old.size) };
      await this.db.batch<string, unknown>([
        { type: 'del', key: `q:${old.id}:${nodeId}` },
        { type: 'put', key: 'b:' + old.id, value: blob },
        { type: 'put', key: COUNTERS_KEY, value: next },
      ], {});
      this.counts = next;
      return blob;
    });
  }

  async dropBadCopy(blobId: string, nodeId: string): Promise<void> {
    if (!KEY_PART_RE.test(blobId) || !KEY_PART_RE.test(nodeId)) return;
    await this.serial(() => this.db.del(`q:${blobId}:${nodeId}`));
  }
}

/** One commit's checks and writes against `view` (the stored values, plus earlier commits of its group). */
function decideCommit(
  { link, blob, chunks, prefixes, md5Collision, uploadId }: CommitWrite,
  view: Map<string, unknown>,
  c: StoreCounters,
): { ops: Op[]; counts: StoreCounters; result: CommitResult } {
  if (link.blobId !== blob.id) throw new StoreError('CONFLICT', `link ${link.id} names blob ${link.blobId}, not ${blob.id}`);
  if (view.get('l:' + link.id) !== undefined) throw new StoreError('CONFLICT', `link ${link.id} exists`);
  if (uploadId !== undefined && view.get('u:' + uploadId) !== undefined) throw new StoreError('CONFLICT', `upload ${uploadId} already has a link`);
  const old = view.get('b:' + blob.id) as BlobRecord | undefined;
  if (old && (old.md5 !== blob.md5 || old.size !== blob.size || old.sha256 !== blob.sha256)) {
    throw new StoreError('CONFLICT', `blob ${blob.id} is stored with another md5 or size`);
  }
  // Union with the stored holders: a copy may have added one since the committer read the blob.
  const stored: BlobRecord = old
    ? { ...old, nodes: [...new Set([...old.nodes, ...blob.nodes])], refs: old.refs + 1 }
    : { ...blob, nodes: [...blob.nodes], refs: 1 };
  // A new link to a blob waiting for GC takes it off the GC list.
  const wasUnreferenced = old?.unreferencedSince !== undefined;
  delete stored.unreferencedSince;
  const next: StoreCounters = {
    blobs: c.blobs + (old ? 0 : 1),
    links: c.links + 1,
    bytesStored: c.bytesStored + blob.size * (stored.nodes.length - (old?.nodes.length ?? 0)),
    logicalBytes: c.logicalBytes + blob.size,
    uniqueBytes: c.uniqueBytes + (old ? 0 : blob.size),
  };
  const ops: Op[] = [
    { type: 'put', key: 'l:' + link.id, value: link },
    { type: 'put', key: `r:${blob.id}:${link.id}`, value: 1 },
    { type: 'put', key: 'b:' + blob.id, value: stored },
  ];
  if (!old) {
    ops.push({ type: 'put', key: 'c:' + blob.id, value: chunks });
    ops.push({ type: 'put', key: `m:${blob.md5}:${blob.id}`, value: 1 });
    if (prefixes?.length) ops.push({ type: 'put', key: 'p:' + blob.id, value: prefixes });
  }
  if (md5Collision) ops.push({ type: 'put', key: 'x:' + blob.md5, value: { since: link.created } });
  if (uploadId !== undefined) ops.push({ type: 'put', key: 'u:' + uploadId, value: link.id });
  if (wasUnreferenced) ops.push({ type: 'del', key: 'z:' + blob.id });
  return { ops, counts: next, result: { blob: stored, created: !old } };
}
