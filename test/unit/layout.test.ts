// The shape of the tree, enforced. docs/architecture.md draws the same rules.
//
// 1. Roles: common/ imports nothing of ours; tracker/, node/ and client/
//    import common/ and never each other (they talk over HTTP).
// 2. common/protocol/ is the wire contract a browser shares: it imports only
//    itself and pure packages, never `node:` modules, Buffer or process.
// 3. Layers inside each daemon: a folder imports only the folders listed for
//    it (and common/); the daemon's top files (main, compose, server, context)
//    are imported by no folder but those allowed to see the context; config
//    and metrics are leaves anyone in the role may import.
// 4. No import cycles anywhere, type-only imports included: two modules that
//    know each other's types are one unit and belong in one file.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/repo-root.js';

const root = REPO_ROOT;

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

/** Relative imports of a file (static, dynamic, type-only and re-exports), as repository paths of .ts files. */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    out.push(relative(root, resolve(dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
  }
  return out;
}

const SOURCE_DIRS = ['common', 'tracker', 'node', 'client', 'scripts', 'bench'] as const;
const files = SOURCE_DIRS.flatMap((d) => [...tsFiles(join(root, d))].map((f) => relative(root, f)));
const graph = new Map(files.map((f) => [f, importsOf(join(root, f))]));

// ---- 1. roles ----
const roleAllowed: Record<string, string[]> = {
  common: ['common'],
  tracker: ['tracker', 'common'],
  node: ['node', 'common'],
  client: ['client', 'common'],
};
t.test('roles import only what they may', async (t) => {
  for (const [file, deps] of graph) {
    const role = file.split('/')[0]!;
    const allowed = roleAllowed[role];
    if (!allowed) continue;
    for (const dep of deps) {
      const target = dep.split('/')[0]!;
      t.ok(allowed.includes(target), `${file} imports ${dep}`, { diagnostic: !allowed.includes(target) });
    }
  }
});

// ---- 2. the browser-safe protocol ----
t.test('common/protocol is pure: no node: modules, Buffer or process, imports only itself', async (t) => {
  for (const file of files.filter((f) => f.startsWith('common/protocol/'))) {
    const src = readFileSync(join(root, file), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
    t.notMatch(src, /from\s+['"]node:|require\(/, `${file} imports no node: module`);
    t.notMatch(src, /\bBuffer\b|\bprocess\./, `${file} uses no Buffer or process`);
    for (const dep of graph.get(file)!) t.ok(dep.startsWith('common/protocol/'), `${file} imports ${dep}`);
  }
});

// ---- 2b. the browser bundle ----
// tracker/web/browser/ runs in a page: it shares only the wire contract with
// the rest, and nothing on the server imports it (esbuild bundles it apart).
t.test('tracker/web/browser imports only itself and common/protocol, and nothing imports it', async (t) => {
  const browser = 'tracker/web/browser/';
  for (const [file, deps] of graph) {
    for (const dep of deps) {
      if (file.startsWith(browser)) t.ok(dep.startsWith(browser) || dep.startsWith('common/protocol/'), `${file} imports ${dep}`);
      else t.notOk(dep.startsWith(browser), `${file} imports ${dep}`);
    }
  }
  for (const file of files.filter((f) => f.startsWith(browser))) {
    const src = readFileSync(join(root, file), 'utf8');
    t.notMatch(src, /from\s+['"]node:/, `${file} imports no node: module`);
  }
});

// ---- 3. layers inside each daemon ----
// Folder → the folders of the same role it may import. Files at the role's
// top are named by their base name; LEAVES may be imported from anywhere.
const LEAVES = ['config.ts', 'metrics.ts'];
const layers: Record<string, Record<string, string[]>> = {
  node: {
    hashing: [],
    store: ['hashing'],
    cluster: ['store'],
    integrity: ['store', 'cluster'],
    upload: ['store', 'hashing', 'cluster', 'integrity'],
    tus: ['upload', 'store', 'cluster', 'integrity'],
    // Download pacing: rate caps per lease, the uplink's weighted shares.
    egress: [],
    http: ['upload', 'tus', 'store', 'cluster', 'integrity', 'egress', 'context.ts'],
    workers: ['store', 'integrity', 'cluster', 'tus', 'context.ts'],
  },
  tracker: {
    meta: [],
    // Accounts, sessions, tokens, premium keys and the limits of each tier.
    accounts: ['meta'],
    cluster: ['meta'],
    index: ['meta', 'cluster', 'accounts'],
    replication: ['meta', 'cluster', 'index'],
    // Takedown notices: their rules, the notices in force, issuing and lifting.
    takedowns: ['meta', 'accounts'],
    workers: ['meta', 'cluster', 'index', 'replication', 'takedowns', 'context.ts'],
    // The download policy: claims for node URLs, leases; every download followed to completion and counted per link.
    downloads: [],
    // Reward points: the rules, which complete downloads earn, the ledger's ids.
    rewards: ['meta'],
    http: ['meta', 'accounts', 'cluster', 'index', 'replication', 'takedowns', 'web', 'downloads', 'rewards', 'context.ts'],
    // The pages: HTML drawn on the server and the browser bundle's source (web/browser/, checked below).
    web: [],
    // migrate opens the metadata stores itself; every other command talks HTTP.
    cli: ['meta'],
  },
};

/** Known breaks of the layer rules, each to be removed by the change that fixes it. Must end empty. */
const KNOWN_LAYER_BREAKS = new Set<string>([
]);

function placeOf(file: string): { role: string; folder: string } {
  const [role, second, third] = file.split('/');
  return { role: role!, folder: third === undefined ? second! : second! };
}

t.test('layers inside each daemon', async (t) => {
  for (const [file, deps] of graph) {
    const { role, folder } = placeOf(file);
    const rules = layers[role];
    if (!rules) continue;
    const mayImport = rules[folder];
    if (mayImport === undefined) continue; // a top file (main, compose, server, context): it composes the rest
    for (const dep of deps) {
      const d = placeOf(dep);
      if (d.role !== role) continue;
      if (d.folder === folder || LEAVES.includes(d.folder)) continue;
      const ok = mayImport.includes(d.folder);
      const name = `${file} -> ${dep}`;
      if (!ok && KNOWN_LAYER_BREAKS.has(name)) continue;
      t.ok(ok, `${role}/${folder} may not import ${dep} (${file})`, { diagnostic: !ok });
    }
  }
  t.equal(KNOWN_LAYER_BREAKS.size, 0, 'no layer break is left on the known list', { todo: KNOWN_LAYER_BREAKS.size > 0 });
});

// ---- 4. no cycles ----
/** Strongly connected components with more than one file (Tarjan). */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** Cycles known today, each to be removed by the change that breaks it. Must end empty. */
const KNOWN_CYCLES = new Set<string>([
]);

t.test('no import cycles, type-only imports included', async (t) => {
  const found = cycles(graph).map((c) => c.join(' <-> '));
  const fresh = found.filter((c) => !KNOWN_CYCLES.has(c));
  t.same(fresh, [], fresh.join('; ') || 'none');
  t.equal(KNOWN_CYCLES.size, 0, 'no cycle is left on the known list', { todo: KNOWN_CYCLES.size > 0 });
});

t.test('the cycle finder finds a cycle', async (t) => {
  t.same(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
});
