// One transaction on the LevelDB store: reads go to the database the first
// time and are kept with the record's state before the transaction, writes
// stay here (so later reads see them) until the store turns them into one
// batch of key operations.
import type {
  BadCopyRecord,
  BlobRecord,
  ChunkInfo,
  CountedChange,
  LinkRecord,
  Md5CollisionRecord,
  PrefixHash,
  RecordWrite,
} from '../records.js';
import type { MetaTx } from '../store.js';
import { isKeyPart, keys, parts } from './keys.js';

export type Op = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

/** The reads a transaction needs from the database. */
export interface LevelReads {
  get<T>(key: string): Promise<T | undefined>;
  /** Ids of the blobs under an MD5, in id order. */
  md5Ids(md5: string): Promise<string[]>;
  badCopiesOf(blobId: string): Promise<BadCopyRecord[]>;
}

/** A record as the database held it, and as this transaction leaves it once written. */
interface Slot<T> {
  before: T | undefined;
  after: T | undefined;
  written: boolean;
}

interface BlobSlot extends Slot<BlobRecord> {
  chunks?: ChunkInfo[];
  prefixes?: PrefixHash[];
}

/** What the store writes for a transaction. */
export interface TxOutcome {
  ops: Op[];
  /** Keys of records this transaction creates: they must still be absent when its batch is written. */
  created: string[];
  counted: CountedChange[];
}

const current = <T>(s: Slot<T>): T | undefined => (s.written ? s.after : s.before);

/** The slots of one record type, read from the database once each. */
class Slots<T, S extends Slot<T> = Slot<T>> {
  readonly map = new Map<string, S>();

  constructor(
    private readonly load: (id: string) => Promise<T | undefined>,
    private readonly make: (id: string, v: T | undefined) => S,
  ) {}

  /** The slot, without a promise when it is known already (most reads and writes of a transaction). */
  get(id: string): S | Promise<S> {
    return this.map.get(id) ?? this.load(id).then((v) => {
      // Another read of the same record may have finished (or a write happened) meanwhile: keep that one.
      let s = this.map.get(id);
      if (!s) this.map.set(id, (s = this.make(id, v)));
      return s;
    });
  }

  async read(id: string): Promise<T | undefined> {
    return current(await this.get(id));
  }
}

const plain = <T>(_id: string, v: T | undefined): Slot<T> => ({ before: v, after: v, written: false });

export class LevelTx implements MetaTx {
  private readonly blobs: Slots<BlobRecord, BlobSlot>;
  private readonly links: Slots<LinkRecord>;
  private readonly uploads: Slots<string>;
  /** Keyed by keys.badCopy(blobId, nodeId). */
  private readonly bad: Slots<BadCopyRecord, Slot<BadCopyRecord> & { blobId: string; nodeId: string }>;
  private readonly collisions = new Map<string, Md5CollisionRecord>();

  constructor(private readonly db: LevelReads) {
    const none = Promise.resolve(undefined);
    this.blobs = new Slots((id) => (isKeyPart(id) ? db.get<BlobRecord>(keys.blob(id)) : none), plain);
    this.links = new Slots((id) => (isKeyPart(id) ? db.get<LinkRecord>(keys.link(id)) : none), plain);
    this.uploads = new Slots((id) => (isKeyPart(id) ? db.get<string>(keys.upload(id)) : none), plain);
    this.bad = new Slots(
      (key) => db.get<BadCopyRecord>(key),
      (key, v) => {
        const [, blobId, nodeId] = key.split(':') as [string, string, string];
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
    const ids = new Set(isKeyPart(md5) ? await this.db.md5Ids(md5) : []);
    for (const [id, s] of this.blobs.map) if (s.written && s.after?.md5 === md5) ids.add(id);
    if (ids.size === 0) return [];
    const blobs = await Promise.all([...ids].sort().map((id) => this.blobs.read(id)));
    return blobs.filter((b): b is BlobRecord => b !== undefined && b.md5 === md5);
  }

  async badCopiesOf(blobId: string): Promise<BadCopyRecord[]> {
    if (!isKeyPart(blobId)) return [];
    const byNode = new Map((await this.db.badCopiesOf(blobId)).map((r) => [r.nodeId, r]));
    for (const s of this.bad.map.values()) {
      if (s.blobId !== blobId || !s.written) continue;
      if (s.after) byNode.set(s.nodeId, s.after);
      else byNode.delete(s.nodeId);
    }
    return [...byNode.keys()].sort().map((n) => byNode.get(n)!);
  }

  /** Ids are checked as key parts here, so a bad one fails the write, not the batch. */
  async write(...writes: RecordWrite[]): Promise<void> {
    for (const w of writes) {
      switch (w.type) {
        case 'blob': {
          parts(w.id, ...(w.record ? [w.record.md5] : []));
          const s = await this.blobs.get(w.id);
          s.after = w.record;
          s.written = true;
          if (w.chunks) s.chunks = w.chunks;
          if (w.prefixes) s.prefixes = w.prefixes;
          break;
        }
        case 'link': {
          parts(w.id, ...(w.record ? [w.record.blobId] : []));
          const s = await this.links.get(w.id);
          s.after = w.record;
          s.written = true;
          break;
        }
        case 'badCopy': {
          // No record can exist under ids that are not key parts: nothing to delete.
          if (!w.record && !(isKeyPart(w.blobId) && isKeyPart(w.nodeId))) break;
          parts(w.blobId, w.nodeId);
          const s = await this.bad.get(keys.badCopy(w.blobId, w.nodeId));
          s.after = w.record;
          s.written = true;
          break;
        }
        case 'upload': {
          parts(w.record.uploadId, w.record.linkId);
          const s = await this.uploads.get(w.record.uploadId);
          s.after = w.record.linkId;
          s.written = true;
          break;
        }
        case 'md5Collision':
          parts(w.record.md5);
          this.collisions.set(w.record.md5, w.record);
          break;
      }
    }
  }

  /** The key operations for everything written, with the records created and the changes the counters follow. */
  outcome(): TxOutcome {
    const ops: Op[] = [];
    const created: string[] = [];
    const counted: CountedChange[] = [];
    for (const [id, s] of this.blobs.map) {
      if (!s.written) continue;
      const { before, after } = s;
      counted.push({ type: 'blob', before, after });
      if (!after) {
        if (!before) continue;
        ops.push(
          { type: 'del', key: keys.blob(id) },
          { type: 'del', key: keys.chunks(id) },
          { type: 'del', key: keys.prefixes(id) },
          { type: 'del', key: keys.md5(before.md5, id) },
          { type: 'del', key: keys.unreferenced(id) },
        );
        continue;
      }
      ops.push({ type: 'put', key: keys.blob(id), value: after });
      if (!before) {
        created.push(keys.blob(id));
        ops.push({ type: 'put', key: keys.chunks(id), value: s.chunks ?? [] }, { type: 'put', key: keys.md5(after.md5, id), value: 1 });
        if (s.prefixes?.length) ops.push({ type: 'put', key: keys.prefixes(id), value: s.prefixes });
      }
      if (after.unreferencedSince === before?.unreferencedSince) continue;
      if (after.unreferencedSince !== undefined) ops.push({ type: 'put', key: keys.unreferenced(id), value: after.unreferencedSince });
      else ops.push({ type: 'del', key: keys.unreferenced(id) });
    }
    for (const [id, s] of this.links.map) {
      if (!s.written) continue;
      const { before, after } = s;
      counted.push({ type: 'link', before, after });
      if (after) {
        ops.push({ type: 'put', key: keys.link(id), value: after });
        if (!before) {
          created.push(keys.link(id));
          ops.push({ type: 'put', key: keys.linkOfBlob(after.blobId, id), value: 1 });
        }
      } else if (before) {
        ops.push({ type: 'del', key: keys.link(id) }, { type: 'del', key: keys.linkOfBlob(before.blobId, id) });
      }
    }
    for (const [id, s] of this.uploads.map) {
      if (!s.written || s.after === undefined) continue;
      if (s.before === undefined) created.push(keys.upload(id));
      ops.push({ type: 'put', key: keys.upload(id), value: s.after });
    }
    for (const [key, s] of this.bad.map) {
      if (!s.written) continue;
      ops.push(s.after ? { type: 'put', key, value: s.after } : { type: 'del', key });
    }
    for (const [md5, r] of this.collisions) ops.push({ type: 'put', key: keys.collision(md5), value: { since: r.since } });
    return { ops, created, counted };
  }
}
