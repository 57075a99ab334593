// MD5 and SHA-256 of a stream in one pass: identity is MD5 + SHA-256 + size.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export class DualHasher {
  private readonly md5: Hash = createHash('md5');
  private readonly sha256: Hash = createHash('sha256');
  size = 0;

  update(buf: Buffer): void {
    this.md5.update(buf);
    this.sha256.update(buf);
    this.size += buf.length;
  }

  /** Digests of the bytes so far, without ending the running hashes. */
  peek(): { md5: string; sha256: string } {
    return { md5: this.md5.copy().digest('hex'), sha256: this.sha256.copy().digest('hex') };
  }

  digest(): { md5: string; sha256: string; size: number } {
    return { md5: this.md5.digest('hex'), sha256: this.sha256.digest('hex'), size: this.size };
  }
}

/** Hashes a file on disk; `onProgress` gets the bytes read so far; `signal` stops it (AbortError). */
export async function hashFile(
  path: string,
  onProgress?: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<{ md5: string; sha256: string; size: number }> {
  const h = new DualHasher();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) {
    h.update(chunk as Buffer);
    onProgress?.(h.size);
  }
  return h.digest();
}

export function sha256Hex(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}
