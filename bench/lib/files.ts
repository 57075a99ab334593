// Test data: random bytes (incompressible, never seen before), and a cheap
// way to make the same file new content again before an upload.
import { randomBytes, randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

export function makeRandomFile(path: string, size: number): void {
  const buf = Buffer.allocUnsafe(Math.min(size, 16 << 20));
  const fd = openSync(path, 'w');
  try {
    for (let pos = 0; pos < size; ) {
      const n = Math.min(buf.length, size - pos);
      randomFillSync(buf, 0, n);
      writeSync(fd, buf, 0, n, pos);
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Overwrites the first 32 bytes: a new MD5 and SHA-256, the rest still in the page cache. */
export function freshen(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, randomBytes(32), 0, 32, 0);
  } finally {
    closeSync(fd);
  }
}
