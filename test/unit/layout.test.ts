// The dependency rule: common/ imports nothing of ours; tracker/, node/ and
// client/ import common/ but never each other (they talk over HTTP).
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const root = resolve(import.meta.dirname ?? dirname(new URL(import.meta.url).pathname), '..', '..');
const roles = ['common', 'tracker', 'node', 'client'] as const;
const allowed: Record<(typeof roles)[number], string[]> = {
  common: ['common'],
  tracker: ['tracker', 'common'],
  node: ['node', 'common'],
  client: ['client', 'common'],
};

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

for (const role of roles) {
  for (const file of tsFiles(join(root, role))) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = relative(root, resolve(dirname(file), m[1]!)).split('/')[0]!;
      t.ok(allowed[role].includes(target), `${relative(root, file)} imports ${m[1]} (${target})`, { diagnostic: !allowed[role].includes(target) });
    }
  }
}
