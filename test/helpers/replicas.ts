// Checks on copies as they lie on a node's disk: the manifest, every chunk
// against its SHA-256, and the whole against MD5, SHA-256 and size.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobIdentity, BlobManifest } from '../../common/protocol/types.js';
import { blobDir } from './files.js';

/** Why the copy of `id` under `dataDir` is not a verified copy of `want`, or undefined when it is. */
export async function copyProblem(dataDir: string, id: string, want: BlobIdentity): Promise<string | undefined> {
  const dir = blobDir(dataDir, id);
  let m: BlobManifest;
  try {
    m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as BlobManifest;
  } catch (err) {
    return `no manifest (${(err as Error).message})`;
  }
  if (m.id !== id || m.md5 !== want.md5 || m.sha256 !== want.sha256 || m.size !== want.size) return 'manifest names another blob';
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let size = 0;
  for (let i = 0; i < m.chunks.length; i++) {
    let buf: Buffer;
    try {
      buf = await readFile(join(dir, String(i).padStart(6, '0')));
    } catch {
      return `chunk ${i} missing`;
    }
    if (buf.length !== m.chunks[i]!.size || createHash('sha256').update(buf).digest('hex') !== m.chunks[i]!.sha256) return `chunk ${i} corrupt`;
    md5.update(buf);
    sha.update(buf);
    size += buf.length;
  }
  if (size !== want.size || md5.digest('hex') !== want.md5 || sha.digest('hex') !== want.sha256) return 'content differs';
  return undefined;
}
