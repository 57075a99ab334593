// Where `hoard put` remembers an upload it has not finished, so running it
// again resumes instead of starting over: one small JSON file per (tracker,
// file, content) under $HOARD_STATE_DIR, else $XDG_CACHE_HOME/hoard/uploads,
// else ~/.cache/hoard/uploads. Not next to the file: its folder may be
// read-only or shared, and a stray file there would surprise its owner.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface SavedUpload {
  v: 1;
  tracker: string;
  path: string;
  size: number;
  sha256: string;
  /** The node's tus URL of the upload. */
  url: string;
  uploadId: string;
  created: string;
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOARD_STATE_DIR) return env.HOARD_STATE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hoard', 'uploads');
}

export class UploadStateFile {
  readonly path: string;

  constructor(dir: string, tracker: string, realPath: string, size: number, sha256: string) {
    const key = createHash('sha256').update(`${tracker}\0${realPath}\0${size}\0${sha256}`).digest('hex').slice(0, 32);
    this.path = join(dir, `${key}.json`);
  }

  async load(): Promise<SavedUpload | undefined> {
    try {
      const v = JSON.parse(await readFile(this.path, 'utf8')) as Partial<SavedUpload>;
      if (v.v !== 1 || typeof v.url !== 'string' || typeof v.uploadId !== 'string') return undefined;
      return v as SavedUpload;
    } catch {
      return undefined;
    }
  }

  /** Best effort: an upload that cannot be remembered still runs, it just cannot resume across runs. */
  async save(s: SavedUpload): Promise<boolean> {
    try {
      await mkdir(join(this.path, '..'), { recursive: true });
      await writeFile(`${this.path}.tmp`, JSON.stringify(s));
      await rename(`${this.path}.tmp`, this.path);
      return true;
    } catch {
      return false;
    }
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
