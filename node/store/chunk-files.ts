// Names and low-level writes shared by the file store and its upload writer.
import type { FileHandle } from 'node:fs/promises';

export const MANIFEST = 'manifest.json';

export const chunkName = (index: number): string => String(index).padStart(6, '0');

export const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

/** Writes every buffer, going again after a short write. */
export async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let rest = bufs;
  while (rest.length > 0) {
    const total = rest.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await fh.writev(rest);
    if (bytesWritten >= total) return;
    // Short write: drop what went out and go again with the remainder.
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      next.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    rest = next;
  }
}
