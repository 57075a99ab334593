// A transaction's view of the records, the same for every back end: each
// record is read from the back end the first time and kept with its state
// before the transaction; writes stay here (so later reads see them) until
// the back end turns the outcome into its own writes.
import type {
  BadCopyRecord,
  BlobRecord,
  ChunkInfo,
  CountedChange,
  LinkRecord,
  Md5CollisionRecord,
  PrefixHash,
  RecordWrite,
} from './records.js';
import type { MetaTx } from './store.js';

/** What a transaction reads from its back end (records as committed, under the transaction's lock). */
export interface TxReads {
  blob(id: string): Promise<BlobRecord | undefined>;
  link(id: string): Promise<LinkRecord | undefined>;
  upload(uploadId: string): Promise<string | undefined>;
  badCopy(blobId: string, nodeId: string): Promise<BadCopyRecord | undefined>;
  /** The blobs under an MD5 (any order). */
  blobsByMd5(md5: string): Promise<BlobRecord[]>;
  badCopiesOf(blobId: string): Promise<BadCopyRecord[]>;
}

/** A record as the back end held it, and as the transaction leaves it. */
export interface Change<T> {
  before: T | undefined;
  after: T | undefined;
}

export interface BlobChange extends Change<BlobRecord> {
  id: string;
  /** Given when the blob is written for the first time. */
  chunks?: ChunkInfo[];
  prefixes?: PrefixHash[];
}

/** What a transaction wrote, record by record (only records it wrote), and what the counters follow. */
export interface TxOutcome {
  blobs: BlobChange[];
  links: Array<Change<LinkRecord> & { id: string }>;
  /** Upload links written (never removed); `created` when none was stored before. */
  uploads: Array<{ uploadId: string; linkId: string; created: boolean }>;
  badCopies: Array<{ blobId: string; nodeId: string; after: BadCopyRecord | undefined }>;
  collisions: Md5CollisionRecord[];
  /** Usage counters moved, one entry per account (deltas summed, the tightest limit kept). */
  usage: UsageChange[];
  counted: CountedChange[];
}

export interface UsageChange {
  userId: string;
  delta: number;
  limit?: number;
}

interface Slot<T> extends Change<T> {
  written: boolean;
}

interface BlobSlot extends Slot<BlobRecord> {
  chunks?: ChunkInfo[];
  prefixes?: PrefixHash[];
}

interface BadSlot extends Slot<BadCopyRecord> {
  blobId: string;
  nodeId: string;
}

const current = <T>(s: Slot<T>): T | undefined => (s.written ? s.after : s.before);

/** The slots of one record type, read from the back end once each. */
class Slots<T, S extends Slot<T>> {
  readonly map = new Map<string, S>();

  constructor(
    private readonly load: (key: string) => Promise<T | undefined>,
    private readonly make: (key: string, v: T | undefined) => S,
  ) {}

  /** The slot, without a promise when it is known already (most reads and writes of a transaction). */
  get(key: string): S | Promise<S> {
    return this.map.get(key) ?? this.load(key).then((v) => this.seed(key, v));
  }

  /** Keeps a record read by other means, unless this transaction knows it already. */
  seed(key: string, v: T | undefined): S {
    // Another read of the same record may have finished (or a write happened) meanwhile: keep that one.
    let s = this.map.get(key);
    if (!s) this.map.set(key, (s = this.make(key, v)));
    return s;
  }

  async read(key: string): Promise<T | undefined> {
    return current(await this.get(key));
  }
}

const plain = <T>(_key: string, v: T | undefined): Slot<T> => ({ before: v, after: v, written: false });
/** Bad copies are keyed by blob and node; no id contains a NUL. */
const badKey = (blobId: string, nodeId: string) => `${blobId}\0${nodeId}`;

export interface TxRecordsOptions {
  /** Checks the ids a write names (a back end's key rules); throws to refuse the write. */
  check(w: RecordWrite): void;
}

export class TxRecords implements MetaTx {
  private readonly blobs: Slots<BlobRecord, BlobSlot>;
  private readonly links: Slots<LinkRecord, Slot<LinkRecord>>;
  private readonly uploads: Slots<string, Slot<string>>;
  private readonly bad: Slots<BadCopyRecord, BadSlot>;
  private readonly collisions = new Map<string, Md5CollisionRecord>();
  private readonly usage = new Map<string, UsageChange>();

  constructor(
    private readonly db: TxReads,
    private readonly opts: TxRecordsOptions,
  ) {
    this.blobs = new Slots((id) => db.blob(id), plain);
    this.links = new Slots((id) => db.link(id), plain);
    this.uploads = new Slots((id) => db.upload(id), plain);
    this.bad = new Slots(
      (key) => {
        const [blobId, nodeId] = key.split('\0') as [string, string];
        return db.badCopy(blobId, nodeId);
      },
      (key, v) => {
        const [blobId, nodeId] = key.split('\0') as [string, string];
        return { before: v, after: v, written: false, blobId, nodeId };
      },
    );
  }

  blob(id: string): Promise<BlobRecord | undefined> {
    return this.blobs.read(id);
  }

  link(id: string): Promise<LinkRecord | undefined> {
    return this.links.read(id);
  }

  linkOfUpload(uploadId: string): Promise<string | undefined> {
    return this.uploads.read(uploadId);
  }

  async blobsByMd5(md5: string): Promise<BlobRecord[]> {
    const ids = new Set<string>();
    for (const b of await this.db.blobsByMd5(md5)) {
      this.blobs.seed(b.id, b);
      ids.add(b.id);
    }
    for (const [id, s] of this.blobs.map) if (s.written && s.after?.md5 === md5) ids.add(id);
    const blobs = [...ids].sort().map((id) => current(this.blobs.map.get(id)!));
    return blobs.filter((b): b is BlobRecord => b !== undefined && b.md5 === md5);
  }

  async badCopiesOf(blobId: string): Promise<BadCopyRecord[]> {
    const byNode = new Map((await this.db.badCopiesOf(blobId)).map((r) => [r.nodeId, r]));
    for (const s of this.bad.map.values()) {
      if (s.blobId !== blobId || !s.written) continue;
      if (s.after) byNode.set(s.nodeId, s.after);
      else byNode.delete(s.nodeId);
    }
    return [...byNode.keys()].sort().map((n) => byNode.get(n)!);
  }

  async write(...writes: RecordWrite[]): Promise<void> {
    for (const w of writes) {
      this.opts.check(w);
      switch (w.type) {
        case 'blob': {
          const s = await this.blobs.get(w.id);
          s.after = w.record;
          s.written = true;
          if (w.chunks) s.chunks = w.chunks;
          if (w.prefixes) s.prefixes = w.prefixes;
          break;
        }
        case 'link': {
          const s = await this.links.get(w.id);
          s.after = w.record;
          s.written = true;
          break;
        }
        case 'badCopy': {
          const s = await this.bad.get(badKey(w.blobId, w.nodeId));
          s.after = w.record;
          s.written = true;
          break;
        }
        case 'upload': {
          const s = await this.uploads.get(w.record.uploadId);
          s.after = w.record.linkId;
          s.written = true;
          break;
        }
        case 'md5Collision':
          this.collisions.set(w.record.md5, w.record);
          break;
        case 'usage': {
          const u = this.usage.get(w.userId) ?? { userId: w.userId, delta: 0 };
          u.delta += w.delta;
          if (w.limit !== undefined) u.limit = Math.min(w.limit, u.limit ?? Infinity);
          this.usage.set(w.userId, u);
          break;
        }
      }
    }
  }

  /** Everything written, record by record, with the changes the counters follow. */
  outcome(): TxOutcome {
    const out: TxOutcome = { blobs: [], links: [], uploads: [], badCopies: [], collisions: [...this.collisions.values()], usage: [...this.usage.values()].filter((u) => u.delta !== 0 || u.limit !== undefined), counted: [] };
    for (const [id, s] of this.blobs.map) {
      if (!s.written || (s.before === undefined && s.after === undefined)) continue;
      out.counted.push({ type: 'blob', before: s.before, after: s.after });
      out.blobs.push({ id, before: s.before, after: s.after, chunks: s.chunks, prefixes: s.prefixes });
    }
    for (const [id, s] of this.links.map) {
      if (!s.written || (s.before === undefined && s.after === undefined)) continue;
      out.counted.push({ type: 'link', before: s.before, after: s.after });
      out.links.push({ id, before: s.before, after: s.after });
    }
    for (const [uploadId, s] of this.uploads.map) {
      if (s.written && s.after !== undefined) out.uploads.push({ uploadId, linkId: s.after, created: s.before === undefined });
    }
    for (const s of this.bad.map.values()) {
      if (s.written) out.badCopies.push({ blobId: s.blobId, nodeId: s.nodeId, after: s.after });
    }
    return out;
  }
}
