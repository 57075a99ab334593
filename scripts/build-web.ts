// Builds the pages' browser bundle with esbuild: the page script and the
// hashing worker (TypeScript, with tus-js-client and hash-wasm bundled in),
// the stylesheet and the icon, into dist/tracker/web/static/ under names
// that carry a hash of their content, plus manifest.json naming the current
// file of each entry (tracker/web/assets.ts serves them). Run by npm run
// build after tsc, which type-checks the same source with DOM types
// (tracker/web/browser/tsconfig.json).
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository's top folder, whether this runs compiled (dist/scripts) or from source (tests). */
function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('build-web: no package.json above this script');
  }
}

const ROOT = repoRoot();
const SRC = join(ROOT, 'tracker', 'web', 'browser');
const OUT = join(ROOT, 'dist', 'tracker', 'web', 'static');

/** Entry name as the tracker asks for it → source file. */
const ENTRIES: Record<string, string> = {
  'site.js': 'site.ts',
  'hash-worker.js': 'hash-worker.ts',
  'site.css': 'site.css',
  'icon.svg': 'icon.svg',
};

export async function buildWeb(): Promise<Record<string, string>> {
  // The folder holds one build (old hashed names would pile up), swapped in
  // whole so a tracker starting meanwhile reads the old build or the new one.
  const fresh = `${OUT}.new-${process.pid}`;
  const stale = `${OUT}.old-${process.pid}`;
  rmSync(fresh, { recursive: true, force: true });
  mkdirSync(fresh, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.entries(ENTRIES).map(([name, src]) => ({ in: join(SRC, src), out: name.replace(/\.[a-z]+$/, '') })),
    outdir: fresh,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Browsers of the last few years: module workers, WebAssembly, private fields.
    target: ['chrome109', 'firefox115', 'safari16'],
    loader: { '.svg': 'copy' },
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const byName: Record<string, string> = {};
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    if (!meta.entryPoint) continue;
    const src = relative(SRC, join(ROOT, meta.entryPoint));
    const name = Object.keys(ENTRIES).find((n) => ENTRIES[n] === src);
    if (name) byName[name] = relative(fresh, join(ROOT, out));
  }
  for (const name of Object.keys(ENTRIES)) if (!byName[name]) throw new Error(`esbuild produced no file for ${name}`);
  writeFileSync(join(fresh, 'manifest.json'), JSON.stringify({ entries: byName }, null, 2) + '\n');
  if (existsSync(OUT)) renameSync(OUT, stale);
  renameSync(fresh, OUT);
  rmSync(stale, { recursive: true, force: true });
  return byName;
}

if (process.argv[1]?.endsWith('build-web.js')) {
  buildWeb().then(
    (names) => process.stdout.write(`web bundle: ${Object.values(names).join(', ')}\n`),
    (err: unknown) => {
      process.stderr.write(`build-web: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
