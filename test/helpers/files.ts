// Test files on disk: random content written in 1 MiB pieces, digests,
// byte ranges, and listings of what a node keeps under its data folder.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { mkdtemp, open, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { atExit } from './proc.js';

const PIECE = 1 << 20;

export interface TestFile {
  path: string;
  size: number;
  md5: string;
  sha256: string;
}

/** Writes `size` random bytes to `path`, 1 MiB at a time, and returns its digests. */
export async function makeRandomFile(path: string, size: number): Promise<TestFile> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  const fh = await open(path, 'w');
  try {
    for (let left = size; left > 0; ) {
      const piece = randomBytes(Math.min(PIECE, left));
      md5.update(piece);
      sha.update(piece);
      await fh.write(piece);
      left -= piece.length;
    }
  } finally {
    await fh.close();
  }
  return { path, size, md5: md5.digest('hex'), sha256: sha.digest('hex') };
}

async function digestFile(path: string, algo: 'sha256' | 'md5'): Promise<string> {
  const h = createHash(algo);
  for await (const chunk of createReadStream(path, { highWaterMark: PIECE })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export const sha256File = (path: string): Promise<string> => digestFile(path, 'sha256');
export const md5File = (path: string): Promise<string> => digestFile(path, 'md5');
export const sha256 = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

/** Bytes start..end (inclusive) of a file. */
export async function readSlice(path: string, start: number, end: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(end - start + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}

/** Every regular file under dir (relative paths, sorted); [] when dir does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

/** Entries directly under dir ([] when it does not exist). */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Blob ids a node keeps: the folders DATA/blobs/<id[0..2]>/<id>/. */
export async function blobIdsOnDisk(dataDir: string): Promise<string[]> {
  const ids: string[] = [];
  for (const prefix of await listDir(join(dataDir, 'blobs'))) {
    for (const id of await listDir(join(dataDir, 'blobs', prefix))) ids.push(id);
  }
  return ids.sort();
}

export const blobDir = (dataDir: string, id: string): string => join(dataDir, 'blobs', id.slice(0, 2), id);

/**
 * Inverts one byte of chunk `chunk` of a node's copy of blob `id`. With
 * keepTimes, mtime is put back, as with rot below the file system (or a
 * careless tool), so only a checksum can tell.
 */
export async function flipChunkByte(dataDir: string, id: string, chunk: number, offset: number, keepTimes = false): Promise<void> {
  const path = join(blobDir(dataDir, id), String(chunk).padStart(6, '0'));
  const before = await stat(path);
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
  if (keepTimes) await utimes(path, before.atime, before.mtime);
}

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(prefix = 'hoard-e2e-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const cancel = atExit(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    cleanup: async () => {
      cancel();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
