// Records ⇄ PostgreSQL values. Hashes are stored as bytea (half the bytes of
// hex, and they order the same: memcmp of the bytes is the order of their
// lower-case hex), times as timestamptz. Anything a column cannot give back
// exactly is refused on write (TypeError) rather than stored altered, so a
// record always reads back as it was written.
import { escapeLiteral } from 'pg';
import type { BadCopyRecord, BlobRecord, ChunkInfo, LinkRecord, PrefixHash } from '../records.js';
import { isRecordId } from '../records.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MD5_HEX = /^[0-9a-f]{32}$/;

export const isSha256Hex = (v: string): boolean => SHA256_HEX.test(v);
export const isMd5Hex = (v: string): boolean => MD5_HEX.test(v);

function need(ok: boolean, what: string, v: unknown): void {
  if (!ok) throw new TypeError(`invalid ${what} ${JSON.stringify(v)}`);
}

export const hex = (b: Buffer): string => b.toString('hex');

/** A time as the records hold it (Date.toISOString); refused when it would not read back identical. */
export function checkTime(v: string, what: string): string {
  const d = new Date(v);
  need(!Number.isNaN(d.getTime()) && d.toISOString() === v, what, v);
  return v;
}

export const timeOf = (d: Date): string => d.toISOString();

/** A whole number a bigint column holds and a JS number gives back. */
function int(v: number, what: string, max = Number.MAX_SAFE_INTEGER): number {
  need(Number.isSafeInteger(v) && v >= 0 && v <= max, what, v);
  return v;
}
const INT4_MAX = 2 ** 31 - 1;

// ---- SQL literals, for the statements a transaction sends in one round trip ----

export const lit = {
  text: (v: string): string => {
    need(!v.includes('\0'), 'text', v);
    return escapeLiteral(v);
  },
  /** Hex checked by the caller. */
  bytea: (hexValue: string): string => `'\\x${hexValue}'::bytea`,
  int: (v: number): string => String(v),
  time: (v: string | undefined): string => (v === undefined ? 'NULL' : `'${v}'::timestamptz`),
  textArray: (vs: readonly string[]): string => (vs.length === 0 ? `'{}'::text[]` : `ARRAY[${vs.map((v) => lit.text(v)).join(',')}]::text[]`),
  intArray: (vs: readonly number[], type: 'int4' | 'int8'): string => `'{${vs.join(',')}}'::${type}[]`,
  bytesOf: (hexes: readonly string[]): string => `'\\x${hexes.join('')}'::bytea`,
};

// ---- rows ----

/**
 * Column values of a blob row, checked: the record's fields, with the optional
 * ones as explicit undefined. sha256 is undefined when equal to id (every blob
 * today: a blob's id is its SHA-256).
 */
export type BlobRow = Omit<BlobRecord, 'sha256' | 'unreferencedSince'> & {
  sha256: string | undefined;
  unreferencedSince: string | undefined;
};

export function blobRow(b: BlobRecord): BlobRow {
  need(isSha256Hex(b.id), 'blob id', b.id);
  need(isMd5Hex(b.md5), 'md5', b.md5);
  need(isSha256Hex(b.sha256), 'sha256', b.sha256);
  for (const n of b.nodes) need(isRecordId(n), 'node id', n);
  return {
    id: b.id,
    md5: b.md5,
    sha256: b.sha256 === b.id ? undefined : b.sha256,
    size: int(b.size, 'size'),
    chunkSize: int(b.chunkSize, 'chunk size', INT4_MAX),
    chunks: int(b.chunks, 'chunk count', INT4_MAX),
    nodes: b.nodes,
    refs: int(b.refs, 'refs', INT4_MAX),
    created: checkTime(b.created, 'created'),
    unreferencedSince: b.unreferencedSince === undefined ? undefined : checkTime(b.unreferencedSince, 'unreferencedSince'),
  };
}

/** The columns every blob reader selects, in this order. */
export const BLOB_COLUMNS = 'id, md5, sha256, size, chunk_size, chunks, nodes, refs, created, unreferenced_since';

export interface BlobDbRow {
  id: Buffer;
  md5: Buffer;
  sha256: Buffer | null;
  size: number;
  chunk_size: number;
  chunks: number;
  nodes: string[];
  refs: number;
  created: Date;
  unreferenced_since: Date | null;
}

export function blobOf(r: BlobDbRow): BlobRecord {
  const id = hex(r.id);
  const b: BlobRecord = {
    id,
    md5: hex(r.md5),
    sha256: r.sha256 === null ? id : hex(r.sha256),
    size: r.size,
    chunkSize: r.chunk_size,
    chunks: r.chunks,
    nodes: r.nodes,
    created: timeOf(r.created),
    refs: r.refs,
  };
  if (r.unreferenced_since !== null) b.unreferencedSince = timeOf(r.unreferenced_since);
  return b;
}

export const LINK_COLUMNS = 'id, blob_id, filename, created, uploader';

export interface LinkDbRow {
  id: string;
  blob_id: Buffer;
  filename: string;
  created: Date;
  uploader: string | null;
}

export function linkOf(r: LinkDbRow): LinkRecord {
  const l: LinkRecord = { id: r.id, blobId: hex(r.blob_id), filename: r.filename, created: timeOf(r.created) };
  if (r.uploader !== null) l.uploader = r.uploader;
  return l;
}

export function checkLink(l: LinkRecord): void {
  need(isRecordId(l.id), 'link id', l.id);
  if (l.uploader !== undefined) need(isRecordId(l.uploader), 'uploader', l.uploader);
  need(isSha256Hex(l.blobId), 'blob id', l.blobId);
  checkTime(l.created, 'created');
}

export const BAD_COPY_COLUMNS = 'blob_id, node_id, chunks, source, reported';

export interface BadCopyDbRow {
  blob_id: Buffer;
  node_id: string;
  chunks: number[];
  source: string;
  reported: Date;
}

export const badCopyOf = (r: BadCopyDbRow): BadCopyRecord => ({
  blobId: hex(r.blob_id),
  nodeId: r.node_id,
  chunks: r.chunks,
  source: r.source,
  reported: timeOf(r.reported),
});

export function checkBadCopy(r: BadCopyRecord): void {
  need(isSha256Hex(r.blobId), 'blob id', r.blobId);
  need(isRecordId(r.nodeId), 'node id', r.nodeId);
  for (const c of r.chunks) int(c, 'chunk index', INT4_MAX);
  checkTime(r.reported, 'reported');
}

/** A blob's chunk list as two columns: sizes, and the SHA-256s end to end. */
export function chunkColumns(chunks: readonly ChunkInfo[]): { sizes: number[]; sha256s: string[] } {
  for (const c of chunks) need(isSha256Hex(c.sha256), 'chunk sha256', c.sha256);
  return { sizes: chunks.map((c) => int(c.size, 'chunk size')), sha256s: chunks.map((c) => c.sha256) };
}

export function chunksOf(sizes: number[], sha256s: Buffer): ChunkInfo[] {
  return sizes.map((size, i) => ({ size, sha256: hex(sha256s.subarray(i * 32, i * 32 + 32)) }));
}

export function prefixColumns(ps: readonly PrefixHash[]): { offsets: number[]; md5s: string[]; sha256s: string[] } {
  for (const p of ps) {
    need(isMd5Hex(p.md5), 'prefix md5', p.md5);
    need(isSha256Hex(p.sha256), 'prefix sha256', p.sha256);
  }
  return { offsets: ps.map((p) => int(p.offset, 'prefix offset')), md5s: ps.map((p) => p.md5), sha256s: ps.map((p) => p.sha256) };
}

export function prefixesOf(offsets: number[], md5s: Buffer, sha256s: Buffer): PrefixHash[] {
  return offsets.map((offset, i) => ({ offset, md5: hex(md5s.subarray(i * 16, i * 16 + 16)), sha256: hex(sha256s.subarray(i * 32, i * 32 + 32)) }));
}

// ---- paging over hash keys ----

/**
 * The bound on stored SHA-256 ids that selects exactly the ids after `after`
 * in string order, for any string (paging keys are usually a previous id,
 * but the contract takes any). `op` is '>' or '>='; `bound` is 64 hex digits.
 */
export function hexAfter(after: string): { op: '>' | '>='; bound: string } {
  let p = 0;
  while (p < after.length && p < 64 && /[0-9a-f]/.test(after[p]!)) p++;
  const head = after.slice(0, p);
  if (p === 64) return { op: '>', bound: head };
  if (p === after.length) return { op: '>=', bound: head.padEnd(64, '0') }; // a proper prefix sorts before every id it starts
  const c = after[p]!;
  if (c < '0') return { op: '>=', bound: head.padEnd(64, '0') };
  if (c > 'f') return { op: '>', bound: head.padEnd(64, 'f') };
  // Between '9' and 'a' (':' … '`', upper case): ids going on with a letter sort after.
  return { op: '>=', bound: (head + 'a').padEnd(64, '0') };
}
