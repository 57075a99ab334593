// The markdown report printed at the end of a run, the JSON results file, and
// the results section of docs/benchmarks.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { figure, ratio } from './format.js';
import { describeMachine, type Machine } from './machine.js';
import type { ScenarioResult } from './result.js';

export interface RunReport {
  date: string;
  machine: Machine;
  command: string;
  tools: string[];
  options: Record<string, unknown>;
  seconds: number;
  scenarios: ScenarioResult[];
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function markdown(r: RunReport): string {
  const out: string[] = [];
  out.push(`Run ${r.date} on ${describeMachine(r.machine)}.`);
  out.push(`Command: \`${r.command}\` (${Math.round(r.seconds)} s). Tools: ${r.tools.join('; ')}.`);
  out.push('');
  out.push('| # | measure | hoard | baseline | baseline figure | hoard ÷ baseline |');
  out.push('|---|---|---|---|---|---|');
  r.scenarios.forEach((s) => {
    const n = String(s.number);
    if (s.skipped) out.push(`| ${n} | ${cell(s.title)} | skipped: ${cell(s.skipped)} | | | |`);
    for (const row of s.rows) {
      out.push(
        `| ${n} | ${cell(row.measure)} | ${cell(figure(row.hoard, row.unit))} | ${cell(row.baseline?.name ?? '—')} | ${row.baseline ? cell(figure(row.baseline.figure, row.unit)) : '—'} | ${ratio(row.ratio)} |`,
      );
    }
    if (s.error) out.push(`| ${n} | ${cell(s.title)} | **failed**: ${cell(s.error.split('\n')[0]!.slice(0, 300))} | | | |`);
  });
  out.push('');
  out.push('| target | measured | result |');
  out.push('|---|---|---|');
  for (const s of r.scenarios) {
    for (const t of s.targets) out.push(`| ${cell(t.text)} | ${cell(t.measured)} | ${t.pass === null ? 'n/a' : t.pass ? 'pass' : '**miss**'} |`);
  }
  const notes = r.scenarios.flatMap((s) => s.notes.map((n) => `- (${s.number}) ${n}`));
  if (notes.length) {
    out.push('');
    out.push('Notes:');
    out.push('');
    out.push(...notes);
  }
  return out.join('\n');
}

export function writeJson(dir: string, r: RunReport, quick: boolean): string {
  mkdirSync(dir, { recursive: true });
  const stamp = r.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const file = join(dir, `${stamp}${quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}

export const DOC_START = '<!-- bench:results:start -->';
export const DOC_END = '<!-- bench:results:end -->';

/** Replaces the generated section of docs/benchmarks.md, leaving the prose around it alone. */
export function updateDoc(file: string, table: string): void {
  const block = `${DOC_START}\n${table}\n${DOC_END}`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const a = old.indexOf(DOC_START);
  const b = old.indexOf(DOC_END);
  const next = a >= 0 && b > a ? old.slice(0, a) + block + old.slice(b + DOC_END.length) : `${old.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
