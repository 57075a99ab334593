// Plain aligned text tables for a terminal.

export interface Column<R> {
  title: string;
  value: (row: R) => string;
  /** Numbers and sizes read best right-aligned. */
  right?: boolean;
}

export function formatTable<R>(columns: Column<R>[], rows: R[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n') + '\n';
}

/** "3s ago", "5m ago", "2h ago", "4d ago" from an ISO date or epoch ms. */
export function ago(when: string | number | undefined, now = Date.now()): string {
  const t = typeof when === 'number' ? when : Date.parse(when ?? '');
  if (!Number.isFinite(t)) return '-';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** ISO timestamp without milliseconds, or "-". */
export function shortDate(when: string | number | undefined): string {
  const t = typeof when === 'number' ? when : Date.parse(when ?? '');
  return Number.isFinite(t) ? new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}
