// `hoard put -`: standard input is copied to a private temporary file first.
// An upload declares its size and hashes before its first byte (that is what
// lets a duplicate end early), so the bytes must be held somewhere; the copy
// is removed when the upload ends, whatever its outcome.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface Spooled {
  path: string;
  remove(): Promise<void>;
}

/** Copies `input` to a new file under $TMPDIR (a folder of its own, mode 0700). */
export async function spool(input: Readable, dir = tmpdir()): Promise<Spooled> {
  const folder = await mkdtemp(join(dir, 'hoard-stdin-'));
  const path = join(folder, 'stdin');
  const remove = () => rm(folder, { recursive: true, force: true });
  try {
    await pipeline(input, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, remove };
}
