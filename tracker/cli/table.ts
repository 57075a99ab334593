// Text for hoard-admin's listings: the table (common/table.ts, shared with hoard ls), ages, dates.

export { formatTable, shortDate, type Column } from '../../common/table.js';

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
