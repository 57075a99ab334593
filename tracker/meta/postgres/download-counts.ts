// Download counts on PostgreSQL (schema.ts: links.downloads): one UPDATE per
// batch; a link that is gone has no row to add to. A batch that fails (two
// trackers locking the same rows in turn) is kept by its tracker and added
// again with the next one.
import type pg from 'pg';
import { countsToAdd } from '../download-counts.js';
import { isRecordId } from '../records.js';
import type { DownloadCountTable } from '../store.js';

export function pgDownloadCounts(pool: pg.Pool): DownloadCountTable {
  return {
    add: async (counts) => {
      const adds = countsToAdd(counts);
      if (adds.length === 0) return;
      await pool.query({
        name: 'downloads-add',
        text: `UPDATE links SET downloads = links.downloads + v.n
               FROM unnest($1::text[], $2::int8[]) AS v(id, n)
               WHERE links.id = v.id`,
        values: [adds.map(([id]) => id), adds.map(([, n]) => n)],
      });
    },
    of: async (linkIds) => {
      const out = new Map<string, number>(linkIds.map((id) => [id, 0]));
      const ids = linkIds.filter(isRecordId);
      if (ids.length === 0) return out;
      const rows = await pool.query<{ id: string; n: string }>({ name: 'downloads-of', text: 'SELECT id, downloads::text AS n FROM links WHERE id = ANY($1::text[])', values: [ids] });
      for (const r of rows.rows) out.set(r.id, Number(r.n));
      return out;
    },
  };
}
