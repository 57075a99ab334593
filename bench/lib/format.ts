// Number formatting for the report and the progress lines.
import type { Figure, Unit } from './result.js';

const MiB = 1024 ** 2;

function group(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A raw value in the unit's display form, without the unit name. */
export function num(v: number, unit: Unit): string {
  if (!Number.isFinite(v)) return '—';
  switch (unit) {
    case 'B/s':
      return group(v / MiB, v / MiB < 100 ? 1 : 0);
    case 'MiB':
      return group(v / MiB, v / MiB < 100 ? 2 : 0);
    case 'MB':
      return group(v / 1e6, 1);
    case 'ms':
      return v < 10 ? group(v, 2) : v < 1000 ? group(v, 1) : group(v, 0);
    case 'ops/s':
      return group(v, v < 100 ? 1 : 0);
    case 'B':
      return group(v, 0);
    case '%':
      return group(v, v < 1 ? 3 : 1);
  }
}

export function unitName(unit: Unit): string {
  return { 'B/s': 'MiB/s', 'ops/s': '/s', ms: 'ms', MiB: 'MiB', MB: 'MB', B: 'B', '%': '%' }[unit];
}

export function withUnit(v: number, unit: Unit): string {
  const u = unitName(unit);
  return u === '%' ? num(v, unit) + '%' : `${num(v, unit)} ${u}`;
}

/** "412 MiB/s (398–420)" — median then min–max when there are several samples. */
export function figure(f: Figure, unit: Unit): string {
  if ('na' in f) return f.na;
  const s = f.summary;
  const main = withUnit(s.median, unit);
  return s.samples.length > 1 ? `${main} (${num(s.min, unit)}–${num(s.max, unit)})` : main;
}

export function ratio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '—';
  return (r < 0.1 ? r.toFixed(3) : r.toFixed(2)) + '×';
}

export function mib(bytes: number): string {
  return withUnit(bytes, 'MiB');
}

/** A size as people write it: "4 KiB", "64 MiB", "1 GiB", "1.5 GiB". */
export function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}
