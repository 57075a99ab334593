// Every package the project declares is used: each dependency and each
// library among the dev dependencies is imported by some source file, and
// each @types package types a declared package or Node itself. A package
// that is declared and imported nowhere is weight, and a promise the code
// does not keep.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/repo-root.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
/** Dev dependencies run as commands (npx tap, tsc), not imported. */
const TOOLS = new Set(['tap', 'typescript']);
const SKIP = new Set(['node_modules', 'dist', '.git', 'data']);

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name) || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.(ts|mjs|js)$/.test(e.name)) out.push(p);
  }
  return out;
}

const imported = new Set<string>();
for (const file of sources(REPO_ROOT)) {
  for (const m of readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'((?:@[\w.-]+\/)?[\w.-]+)(?:\/[^']*)?'/g)) imported.add(m[1]!);
}

t.test('every dependency is imported somewhere', async (t) => {
  for (const name of Object.keys(pkg.dependencies ?? {})) t.ok(imported.has(name), `${name} is imported`);
});

t.test('every library among the dev dependencies is imported, every @types package types a declared one', async (t) => {
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]);
  for (const name of Object.keys(pkg.devDependencies ?? {})) {
    if (TOOLS.has(name)) continue;
    if (name.startsWith('@types/')) {
      const typed = name.slice('@types/'.length);
      t.ok(typed === 'node' || declared.has(typed), `${name} types a declared package`);
      continue;
    }
    t.ok(imported.has(name), `${name} is imported`);
  }
});
