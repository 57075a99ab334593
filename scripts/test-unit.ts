// `npm run test:unit`: the fast part of the suite, test/unit and
// test/conformance (no daemons, no real clients), run from the build (an
// incremental tsc: only what changed is compiled again), each file in its own
// `node` process. Under tap every test file pays about two seconds of CPU for
// the TypeScript loader and tap's process tracking, more than most unit tests
// take; `npm test` runs everything through tap.
// Prints one line per file, the output of files that fail, and a closing
// "N passed, N failed" (assertions), as .ci/run does; exits 1 on a failure.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = dirname(DIST);
const SUITES = ['test/unit', 'test/conformance'];
const TIMEOUT_MS = 300_000;

interface Outcome {
  file: string;
  ok: boolean;
  pass: number;
  fail: number;
  ms: number;
  output: string;
}

/** The source path a reader looks for: test/unit/x.test.ts. */
const shown = (file: string) => relative(DIST, file).replace(/\.js$/, '.ts');

function testFiles(): string[] {
  const files: string[] = [];
  for (const suite of SUITES) {
    let names: string[];
    try {
      names = readdirSync(join(DIST, suite), { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    // Only those whose source is still there: the build does not remove what a rename left behind.
    for (const n of names) if (n.endsWith('.test.js') && existsSync(join(ROOT, shown(join(DIST, suite, n))))) files.push(join(DIST, suite, n));
  }
  return files.sort();
}

/** The counts from tap's closing comment, `# { total: 12, pass: 11, fail: 1 }`. */
function counts(output: string): { pass: number; fail: number } {
  const line = output.split('\n').reverse().find((l) => /^# \{ total: \d+/.test(l)) ?? '';
  const field = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(line)?.[1] ?? 0);
  return { pass: field('pass'), fail: field('fail') };
}

function runOne(file: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((done) => {
    // tap's own per-file limit (package.json "timeout"), not the 30 s a file run bare gets: a file starting a database server needs more on a busy machine.
    const env = { ...process.env, TAP_TIMEOUT: process.env.TAP_TIMEOUT ?? String(TIMEOUT_MS / 1000) };
    const child = spawn(process.execPath, [file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
    const timer = setTimeout(() => {
      output += `\n(killed after ${TIMEOUT_MS / 1000} s)\n`;
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const c = counts(output);
      const ok = code === 0 && c.fail === 0;
      // A file that died before its summary still counts as one failure.
      done({ file, ok, pass: c.pass, fail: ok ? c.fail : Math.max(c.fail, 1), ms: Date.now() - started, output: output + (signal ? `\n(signal ${signal})\n` : '') });
    });
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const queue = testFiles();
  if (queue.length === 0) {
    process.stderr.write(`no compiled tests under ${DIST}: run npm run build first\n`);
    return 1;
  }
  // One per core, as tap runs them: some tests time short waits that a crowded machine would miss.
  const jobs = availableParallelism();
  const outcomes: Outcome[] = [];
  const worker = async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
      const o = await runOne(f);
      outcomes.push(o);
      process.stdout.write(`${o.ok ? 'ok    ' : 'FAILED'} ${(o.ms / 1000).toFixed(1).padStart(5)} s  ${shown(o.file)}\n`);
      if (!o.ok) process.stdout.write(o.output.replace(/^/gm, '    | ') + '\n');
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  const failedFiles = outcomes.filter((o) => !o.ok);
  const sum = (k: 'pass' | 'fail') => outcomes.reduce((n, o) => n + o[k], 0);
  process.stdout.write(`\n${outcomes.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s${failedFiles.length ? `, failed: ${failedFiles.map((o) => shown(o.file)).join(', ')}` : ''}\n`);
  process.stdout.write(`${sum('pass')} passed, ${sum('fail')} failed\n`);
  return failedFiles.length ? 1 : 0;
}

main().then((code) => process.exit(code));
