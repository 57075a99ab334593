// What the groups of the MetaStore conformance suite share: the factory a
// back end hands in, its capability flags, and record makers.
import { createHash } from 'node:crypto';
import type { Test } from 'tap';
import type { ChunkInfo } from '../../../common/protocol/types.js';
import type { CommitWrite } from '../../../tracker/meta/rules.js';
import { StoreError, type BlobRecord, type MetaStore, type NodeRecord } from '../../../tracker/meta/store.js';

export interface MetaStoreFactory {
  /** A fresh, empty location (directory, database schema…). */
  location(): Promise<string>;
  /** Builds and opens a store at `location`. */
  open(location: string): Promise<MetaStore>;
  /** Overwrites the stored schema version of a closed store (needed with supports.schemaVersion). */
  setSchemaVersion?(location: string, version: number): Promise<void>;
}

/** What a back end can do beyond the interface; groups needing a missing capability are skipped. */
export interface MetaStoreSupports {
  /** Records outlive close and open (false for a memory-only back end). */
  persistence: boolean;
  /** factory.setSchemaVersion works, so the refusal of another version can be shown. */
  schemaVersion: boolean;
  /** Several stores may be open on one location at once (trackers sharing a database); transactions of one key then take turns across them. */
  sharedLocation: boolean;
}

export interface SuiteOptions {
  factory: MetaStoreFactory;
  supports: MetaStoreSupports;
}

/** A fresh store for one test, closed when the test ends. */
export async function freshStore(t: Test, factory: MetaStoreFactory): Promise<MetaStore> {
  const s = await factory.open(await factory.location());
  t.teardown(() => s.close());
  return s;
}

const hex = (algo: string, s: string) => createHash(algo).update(s).digest('hex');
const CHUNK = 64 * 1024;

/** A blob identity made from a seed; `md5` may be forced to fake a collision. */
export function fakeBlob(seed: string, size: number, nodes: string[], md5 = hex('md5', seed)): { blob: Omit<BlobRecord, 'refs'>; chunks: ChunkInfo[] } {
  const sha256 = hex('sha256', seed);
  const n = Math.ceil(size / CHUNK);
  const chunks = Array.from({ length: n }, (_, i) => ({ size: i < n - 1 ? CHUNK : size - CHUNK * i, sha256: hex('sha256', `${seed}/${i}`) }));
  return { blob: { id: sha256, md5, sha256, size, chunkSize: CHUNK, chunks: n, nodes, created: '2024-01-01T00:00:00.000Z' }, chunks };
}

let linkSeq = 0;
export function linkId(): string {
  return `link${String(++linkSeq).padStart(6, '0')}${'x'.repeat(12)}`;
}

/** A commit of a new link to the blob made from `seed`. */
export function commitOf(seed: string, size: number, nodes: string[], id = linkId(), md5?: string): CommitWrite {
  const { blob, chunks } = fakeBlob(seed, size, nodes, md5);
  return { link: { id, blobId: blob.id, filename: `${seed}.bin`, created: '2024-01-02T00:00:00.000Z' }, blob, chunks };
}

export const nodeRecord = (id: string, zone = 'z1'): NodeRecord => ({
  id,
  zone,
  publicUrl: `http://127.0.0.1:9/${id}`,
  freeBytes: 100,
  totalBytes: 200,
  registered: '2024-01-01T00:00:00.000Z',
  lastSeen: '2024-01-01T00:00:01.000Z',
});

export async function rejectsWith(t: Test, p: Promise<unknown>, code: string, msg: string): Promise<void> {
  try {
    await p;
    t.fail(msg + ': did not throw');
  } catch (err) {
    t.ok(err instanceof StoreError, msg + ': StoreError');
    t.equal((err as StoreError).code, code, msg);
  }
}
