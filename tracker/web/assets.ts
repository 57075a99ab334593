// The browser bundle as the tracker serves it: the files the build put in
// static/ (scripts/build-web.ts: names carry a hash of their content), read
// once at start, answered from memory with a year of caching since a new
// build means new names. manifest.json maps each entry to its current name.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRACKER } from '../../common/protocol/routes.js';

/** The entries the pages load, by their name before hashing. */
export const ENTRIES = ['site.js', 'site.css', 'hash-worker.js', 'icon.svg'] as const;
export type Entry = (typeof ENTRIES)[number];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

export interface AssetFile {
  body: Buffer;
  type: string;
}

export interface WebAssets {
  /** False when the bundle was not built: pages still render, without scripts and styles. */
  readonly built: boolean;
  /** The URL path of an entry, undefined when not built. */
  url(entry: Entry): string | undefined;
  /** A file by its hashed name. */
  file(name: string): AssetFile | undefined;
}

/** The build's output folder beside this module (dist/tracker/web/static). */
export function defaultAssetDir(): string {
  return fileURLToPath(new URL('./static/', import.meta.url));
}

export function loadWebAssets(dir: string = defaultAssetDir()): WebAssets {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return { built: false, url: () => undefined, file: () => undefined };
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { entries?: Partial<Record<Entry, string>> };
  const files = new Map<string, AssetFile>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    files.set(name, { body: readFileSync(join(dir, name)), type });
  }
  const urls = new Map<Entry, string>();
  for (const entry of ENTRIES) {
    const name = manifest.entries?.[entry];
    if (name === undefined || !files.has(name)) throw new Error(`web assets in ${dir}: ${entry} is missing (run npm run build)`);
    urls.set(entry, TRACKER.assets + name);
  }
  return { built: true, url: (entry) => urls.get(entry), file: (name) => files.get(name) };
}
