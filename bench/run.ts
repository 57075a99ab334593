// npm run bench [-- flags]: races hoard against its baselines on 127.0.0.1,
// prints a markdown table with each target's pass/miss, and writes
// bench/results/<date>.json. Every process it starts is stopped by pid and its
// temp folder removed, also on failure or Ctrl-C. Targets are reported, not
// asserted: the exit code is 0 when every scenario ran.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nginxVersion } from './baselines/nginx.js';
import { BenchContext } from './lib/context.js';
import { describeMachine, machine } from './lib/machine.js';
import { parseOptions, type BenchOptions, type ScenarioId } from './lib/options.js';
import { logTail } from '../scripts/cluster/log-file.js';
import { ProcessRegistry } from '../scripts/cluster/processes.js';
import { markdown, updateDoc, writeJson, type RunReport } from './lib/report.js';
import { emptyResult, type ScenarioResult } from './lib/result.js';
import { msSince } from './lib/stats.js';
import { download } from './scenarios/download.js';
import { duplicates } from './scenarios/duplicates.js';
import { memory } from './scenarios/memory.js';
import { ranged } from './scenarios/ranged.js';
import type { Scenario } from './scenarios/scenario.js';
import { smallFiles } from './scenarios/small-files.js';
import { trackerIndex, trackerIndexPg } from './scenarios/tracker-index.js';
import { upload } from './scenarios/upload.js';
import { quorum } from './scenarios/quorum.js';

const ALL: Scenario[] = [upload, download, ranged, smallFiles, duplicates, trackerIndex, memory, trackerIndexPg, quorum];

/** dist/bench/run.js → the repository root. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function toolVersions(opts: BenchOptions): string[] {
  const tools: string[] = [];
  const w = existsSync(opts.wrk) ? spawnSync(opts.wrk, ['-v'], { encoding: 'utf8' }) : undefined;
  tools.push(w ? `wrk ${(/wrk (\S+)/.exec(w.stdout + w.stderr)?.[1] ?? '?')} (ranged reads, HTTP lookups, concurrent downloads)` : 'wrk absent');
  if (opts.nginx !== false) tools.push(nginxVersion(opts.nginx) ?? 'nginx absent');
  try {
    const v = (JSON.parse(readFileSync(join(ROOT, 'node_modules/undici/package.json'), 'utf8')) as { version: string }).version;
    tools.push(`undici ${v} (uploads, single-stream downloads, small files)`);
  } catch {
    /* not installed where expected */
  }
  return tools;
}

function optionsForReport(o: BenchOptions): Record<string, unknown> {
  const { tmp: _tmp, out: _out, keep: _keep, updateDocs: _u, ...rest } = o;
  return rest;
}

async function main(): Promise<number> {
  const opts = await parseOptions();
  const procs = new ProcessRegistry();
  const tmp = mkdtempSync(join(opts.tmp ?? os.tmpdir(), 'hoard-bench-'));
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await procs.stopAll();
    if (opts.keep) process.stderr.write(`temp folder kept: ${tmp}\n`);
    else rmSync(tmp, { recursive: true, force: true });
  };
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals, code: number) => {
    interrupted = true;
    process.stderr.write(`\n${sig}: stopping every process the bench started…\n`);
    void cleanup().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  process.on('exit', () => {
    procs.killAllSync();
    if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
  });

  const started = process.hrtime.bigint();
  const m = machine();
  const date = new Date().toISOString();
  process.stderr.write(`hoard bench${opts.quick ? ' (quick)' : ''}: ${describeMachine(m)}\ntemp folder ${tmp}\n`);
  if (m.loadAverage > 1) process.stderr.write(`warning: load average ${m.loadAverage.toFixed(2)}: other work on this machine will lower and scatter the figures\n`);
  const needsHoard = opts.only.length > 0;
  for (const f of ['dist/tracker/main.js', 'dist/node/main.js', 'dist/bench/baselines/node-file-server.js']) {
    if (needsHoard && !existsSync(join(ROOT, f))) process.stderr.write(`warning: ${f} is missing (run npm run build); scenarios needing it will fail\n`);
  }

  const ctx = new BenchContext(opts, ROOT, tmp, procs);
  const results: ScenarioResult[] = [];
  try {
    for (const s of ALL.filter((x) => opts.only.includes(x.id as ScenarioId))) {
      if (interrupted) break;
      const res = emptyResult(s.id, ALL.indexOf(s) + 1, s.title);
      results.push(res);
      process.stderr.write(`\n== ${res.number}. ${s.title}\n`);
      const t = process.hrtime.bigint();
      try {
        await s.run(ctx, res);
        if (res.skipped) process.stderr.write(`  skipped: ${res.skipped}\n`);
      } catch (err) {
        if (interrupted) break;
        const e = err as Error;
        res.error = e.message;
        process.stderr.write(`  FAILED: ${e.stack ?? e.message}\n`);
        for (const name of ['hoard/tracker/tracker.log', 'hoard/node1/node.log']) {
          const f = join(tmp, name);
          if (existsSync(f) && statSync(f).size > 0) process.stderr.write(`  last lines of ${name}:\n${logTail(f, 8)}\n`);
        }
      }
      res.seconds = msSince(t) / 1000;
      if ((res.error || res.skipped) && res.targets.length === 0) {
        res.targets.push({ text: `${res.number}. ${s.title}`, measured: res.skipped ? `not measured: ${res.skipped}` : 'not measured: the scenario failed', pass: null });
      }
    }
  } finally {
    await cleanup();
  }
  // An interrupted run leaves no results file: its figures would be partial.
  if (interrupted) return 130;

  const report: RunReport = {
    date,
    machine: m,
    command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
    tools: toolVersions(opts),
    options: optionsForReport(opts),
    seconds: msSince(started) / 1000,
    scenarios: results,
  };
  const table = markdown(report);
  process.stdout.write('\n' + table + '\n');
  const file = writeJson(opts.out ?? join(ROOT, 'bench', 'results'), report, opts.quick);
  process.stderr.write(`\nresults written to ${file}\n`);
  if (opts.updateDocs) {
    updateDoc(join(ROOT, 'docs', 'benchmarks.md'), table);
    process.stderr.write('docs/benchmarks.md updated\n');
  }
  const failed = results.filter((r) => r.error);
  if (failed.length) process.stderr.write(`${failed.length} scenario(s) failed: ${failed.map((r) => r.id).join(', ')}\n`);
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
