// What a scenario hands back: rows racing hoard against a baseline, and the
// targets from the issue with pass/miss. Values are kept raw (bytes, ms, ops/s)
// and formatted only when printed.
import { summarize, type Summary } from './stats.js';

/** How a raw value is shown: B/s as MiB/s, MiB and MB from bytes, ms, ops/s, plain bytes, percent. */
export type Unit = 'B/s' | 'ops/s' | 'ms' | 'MiB' | 'MB' | 'B' | '%';

/** A figure: measured samples, or a reason there is none. */
export type Figure = { summary: Summary } | { na: string };

export interface Row {
  measure: string;
  unit: Unit;
  hoard: Figure;
  baseline?: { name: string; figure: Figure };
  /** hoard median ÷ baseline median, when both exist. */
  ratio?: number;
}

export interface Target {
  text: string;
  measured: string;
  /** null: the target could not be measured in this run (skipped or failed). */
  pass: boolean | null;
}

export interface ScenarioResult {
  id: string;
  /** The scenario's number in the list (1–7). */
  number: number;
  title: string;
  rows: Row[];
  targets: Target[];
  notes: string[];
  /** Set when the scenario could not finish; the message says what broke. */
  error?: string;
  skipped?: string;
  seconds?: number;
}

export const fig = (samples: readonly number[]): Figure => ({ summary: summarize(samples) });
export const na = (why: string): Figure => ({ na: why });

export function hasValue(f: Figure): f is { summary: Summary } {
  return 'summary' in f && Number.isFinite(f.summary.median);
}

export function row(measure: string, unit: Unit, hoard: Figure, baseline?: { name: string; figure: Figure }): Row {
  const r: Row = { measure, unit, hoard };
  if (baseline) {
    r.baseline = baseline;
    if (hasValue(hoard) && hasValue(baseline.figure) && baseline.figure.summary.median !== 0) {
      r.ratio = hoard.summary.median / baseline.figure.summary.median;
    }
  }
  return r;
}

/** One hoard figure raced against several baselines: one row per baseline. */
export function rows(measure: string, unit: Unit, hoard: Figure, baselines: Array<{ name: string; figure: Figure }>): Row[] {
  if (baselines.length === 0) return [row(measure, unit, hoard)];
  return baselines.map((b) => row(measure, unit, hoard, b));
}

export function emptyResult(id: string, number: number, title: string): ScenarioResult {
  return { id, number, title, rows: [], targets: [], notes: [] };
}
