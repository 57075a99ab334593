// The upload target's yardstick: how fast this machine computes MD5 over the
// same bytes when they are already in memory. The file is read in pieces and
// only the hashing is timed, so no I/O is counted.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

const PIECE = 64 * 1024 * 1024;

/** Bytes per second of MD5 over the file's bytes, counting only time spent hashing. */
export function md5InMemory(file: string, size: number): { bytesPerSec: number; ms: number } {
  const buf = Buffer.allocUnsafe(Math.min(PIECE, Math.max(size, 1)));
  const fd = openSync(file, 'r');
  const h = createHash('md5');
  let hashingNs = 0n;
  try {
    for (let pos = 0; pos < size; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (n === 0) break;
      const t = process.hrtime.bigint();
      h.update(n === buf.length ? buf : buf.subarray(0, n));
      hashingNs += process.hrtime.bigint() - t;
      pos += n;
    }
    const t = process.hrtime.bigint();
    h.digest();
    hashingNs += process.hrtime.bigint() - t;
  } finally {
    closeSync(fd);
  }
  const ms = Number(hashingNs) / 1e6;
  return { bytesPerSec: size / (ms / 1000), ms };
}
