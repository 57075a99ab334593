// Paging options for listings: --limit and --after, as the admin routes take them.
import type { Argv } from 'yargs';

export interface PageArgs {
  limit: number;
  after?: string;
}

export function withPageOptions<T>(y: Argv<T>): Argv<T & PageArgs> {
  return y
    .option('limit', { type: 'number', default: 100, describe: 'Rows to fetch' })
    .option('after', { type: 'string', describe: 'Start after this id (the last one of the previous page)' })
    .check((argv) => {
      const limit = argv.limit as unknown;
      if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) throw new Error('--limit must be a positive integer');
      return true;
    }) as Argv<T & PageArgs>;
}

export function pageQuery(args: PageArgs): string {
  const q = new URLSearchParams({ limit: String(args.limit) });
  if (args.after) q.set('after', args.after);
  return '?' + q.toString();
}

/** A full page may have a next one: say how to get it (on stderr, so stdout stays the table). */
export function printMoreHint(noun: string, rows: { id: string }[], limit: number): void {
  if (rows.length < limit || rows.length === 0) return;
  process.stderr.write(`(more may follow: hoard-admin ${noun} --after ${rows[rows.length - 1]!.id})\n`);
}
