// Plain aligned text tables for a terminal (hoard-admin's listings, hoard ls).

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

/** ISO timestamp without milliseconds, or "-". */
export function shortDate(when: string | number | undefined): string {
  const t = typeof when === 'number' ? when : Date.parse(when ?? '');
  return Number.isFinite(t) ? new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}
