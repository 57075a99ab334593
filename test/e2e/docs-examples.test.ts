// Every curl example in README.md and docs/*.md (a fenced code block that
// runs curl) runs against a real one-node cluster, so the docs stay true.
// The docs' own addresses and ids are placeholders the test fills in (the
// table below); a block the test cannot run carries a marker in the doc,
// right before it, saying why, and is listed in the output:
//   <!-- docs-test: skip REASON -->    not run
//   <!-- docs-test: http-errors -->    run, but an HTTP error answer is the point
// A block fails when bash exits non-zero under `set -eo pipefail`, curl
// failing on an HTTP error (--fail-with-body) unless the block expects one.
// DOCS_EXAMPLE=docs/protocol.md:116 runs that one block alone.
import t from 'tap';
import { copyFile, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { UploadResult } from '../../common/protocol/types.js';
import { BIN, ROOT, useCluster } from '../helpers/cluster.js';
import { makeRandomFile, tempDir } from '../helpers/files.js';
import { curlUpload } from '../helpers/http.js';
import { describeRun, run } from '../helpers/proc.js';
import { tusCreate } from '../helpers/tus.js';

interface Example {
  doc: string;
  line: number;
  code: string;
  skip?: string;
  httpErrors: boolean;
}

const MARKER = /^<!--\s*docs-test:\s*(skip|http-errors)\s*(.*?)\s*-->$/;

/** Fenced blocks that run curl, with the marker on the line before each (blank lines between allowed). */
function examplesOf(doc: string, text: string): Example[] {
  const lines = text.split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    const code = body.join('\n');
    if (!/(^|[\s|(])curl /m.test(code) || !['', 'bash', 'sh', 'shell'].includes(open[1]!)) continue;
    let j = start - 1;
    while (j >= 0 && lines[j]!.trim() === '') j--;
    const mark = j >= 0 ? MARKER.exec(lines[j]!.trim()) : null;
    out.push({ doc, line: start + 1, code, skip: mark?.[1] === 'skip' ? mark[2] || 'marked' : undefined, httpErrors: mark?.[1] === 'http-errors' });
  }
  return out;
}

const docs = ['README.md', ...(await readdir(join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const examples: Example[] = [];
for (const doc of docs) examples.push(...examplesOf(doc, await readFile(join(ROOT, doc), 'utf8')));

const c = await useCluster(t, { nodes: [{ zone: 'a' }], chunkSize: 65536 });
const work = await tempDir();
t.teardown(work.cleanup);

// The files the examples name, and the quickstart folder's data/ (secret, metrics token).
const cwd = join(work.dir, 'cwd');
await mkdir(join(cwd, 'data'), { recursive: true });
await copyFile(join(c.root, 'secret'), join(cwd, 'data', 'secret'));
await copyFile(join(c.root, 'metrics-token'), join(cwd, 'data', 'metrics-token'));
const photo = await makeRandomFile(join(cwd, 'photo.jpg'), 48213);
const movie = await makeRandomFile(join(cwd, 'movie.mkv'), 3 * 65536 + 7);
await mkdir(join(cwd, 'photos'));
await writeFile(join(cwd, 'photos', 'a.txt'), 'a photo, in words\n');

const node = c.nodes[0]!;

/** A fresh link for each example (one of them deletes its link). */
async function freshLink(name: string, path: string): Promise<UploadResult> {
  const up = await curlUpload<UploadResult>(`${c.trackerUrl}/upload/${name}`, path);
  if (up.status !== 201 || !up.json) throw new Error(`upload: ${describeRun(up.run)}`);
  return up.json;
}

/** A fresh resumable upload for the examples that name one: open, or finished (an empty one ends at its creation). */
async function freshUpload(finished: boolean): Promise<string> {
  const made = await tusCreate(c.trackerUrl, { size: finished ? 0 : 1 << 20, filename: 'movie.mkv' });
  if (made.status !== 201) throw new Error(`tus creation: ${made.status} ${made.text}`);
  return made.uploadId;
}

/** The docs' placeholders and what stands for them here. */
interface Fills {
  uploadId: string;
  /** The README's `<id>`: a link to movie.mkv. */
  movie: UploadResult;
  /** protocol.md's `3q2-7wEA…`: a link to photo.jpg, whose blob is `9f86d0…`. */
  photo: UploadResult;
}

function fill(code: string, { uploadId, movie, photo: { id: linkId, sha256: blobId } }: Fills): string {
  return code
    .replaceAll('http://127.0.0.1:8080', c.trackerUrl)
    .replaceAll(/http:\/\/127\.0\.0\.1:808[1-9]/g, node.url)
    .replaceAll('3q2-7wEA…', linkId)
    .replaceAll('<id>', movie.id)
    .replaceAll('9f86d0…', blobId)
    .replaceAll('Qm9fT2x2b1Z4cWxpZ1E', uploadId);
}

// hoard and hoard-admin as `npx` finds them in the project; curl fails on an HTTP error unless the block expects one.
const prelude = (httpErrors: boolean): string => `
set -eo pipefail
export TRACKER='${c.trackerUrl}' HOARD_TRACKER='${c.trackerUrl}'
npx() { case "$1" in hoard) shift; node '${BIN.client}' "$@";; hoard-admin) shift; node '${BIN.admin}' "$@";; *) echo "npx $1: not in this project" >&2; return 127;; esac; }
hoard-admin() { node '${BIN.admin}' "$@"; }
${httpErrors ? '' : 'curl() { command curl --fail-with-body "$@"; }'}
# Signed in as the docs' examples are: a session in ./jar and an API token in $TOKEN.
command curl -sf -c jar -H 'content-type: application/json' -d '${ACCOUNT}' '${c.trackerUrl}/api/account/login' >/dev/null
TOKEN=$(command curl -sf -H 'content-type: application/json' -d '${ACCOUNT.replace('}', ',"token":"docs"}')}' '${c.trackerUrl}/api/account/login' |
  sed -n 's/.*"token":"\\([^"]*\\)".*/\\1/p')
`;
const ACCOUNT = '{"name":"docs-reader","password":"examples run"}';

{
  const reg = await run('curl', ['-sf', '-H', 'content-type: application/json', '-d', ACCOUNT, `${c.trackerUrl}/api/account/register`]);
  if (reg.code !== 0) throw new Error(`register the examples' account: ${describeRun(reg)}`);
}

// The docs' own hoard_auth recipe, defined once for the blocks that use it.
const authBlock = examples.find((e) => /^hoard_auth\(\) \{/m.test(e.code))?.code ?? (await findAuthRecipe());
async function findAuthRecipe(): Promise<string> {
  const text = await readFile(join(ROOT, 'docs/protocol.md'), 'utf8');
  const m = /```bash\n(SECRET=\$\(cat data\/secret\)\n# hoard_auth[\s\S]*?)```/.exec(text);
  if (!m) throw new Error('docs/protocol.md has no hoard_auth recipe');
  return m[1]!;
}

const skipped = examples.filter((e) => e.skip);
t.comment(`${examples.length} curl examples; not run (${skipped.length}):\n${skipped.map((e) => `  ${e.doc}:${e.line}: ${e.skip}`).join('\n')}`);
t.ok(examples.length >= 20, `the docs' curl examples were found (${examples.length})`);
t.ok(skipped.length <= 6, 'few examples left out');
const only = process.env.DOCS_EXAMPLE;

for (const ex of examples.filter((e) => !e.skip && (only === undefined || `${e.doc}:${e.line}` === only))) {
  await t.test(`${ex.doc}:${ex.line}`, async (t) => {
    const uploadId = ex.code.includes('Qm9fT2x2b1Z4cWxpZ1E') ? await freshUpload(ex.code.includes('/api/uploads/Qm9f')) : 'none';
    const fills = { uploadId, movie: await freshLink('movie.mkv', movie.path), photo: await freshLink('photo.jpg', photo.path) };
    const script = `${prelude(ex.httpErrors)}\n${authBlock}\n${fill(ex.code, fills)}\n`;
    // Each in its own folder with the files it names (not those it downloads to), so a download meets no file of the same name.
    const dir = join(work.dir, `ex-${ex.line}-${ex.doc.replace(/\W/g, '_')}`);
    const sends = (name: string): boolean => ex.code.includes(name) && !ex.code.includes(`-o ${name}`);
    await cp(cwd, dir, { recursive: true, filter: (src) => !/\.(jpg|mkv)$/.test(src) || sends(basename(src)) });
    // The README's quick start runs a dozen npx commands: 40 s alone, more on a loaded machine.
    // Tokens and upload state in this run's own folders: other tests on the machine sign in and out under the same HOME.
    const env = { ...process.env, XDG_CONFIG_HOME: join(work.dir, 'config'), XDG_CACHE_HOME: join(work.dir, 'cache') };
    const r = await run('bash', ['-c', script], { cwd: dir, env, timeoutMs: 180_000 });
    t.equal(r.code, 0, `${ex.doc}:${ex.line} runs: ${describeRun(r).slice(-2000)}`);
  });
}

