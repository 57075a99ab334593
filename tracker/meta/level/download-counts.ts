// Download counts on LevelDB (keys.ts ld:<linkId>): a batch is read and
// written between the store's transaction batches, so a link deleted by a
// transaction is either gone when the batch reads it (skipped) or deleted
// after, with its count.
import type { Level } from 'level';
import { countsToAdd } from '../download-counts.js';
import type { DownloadCountTable } from '../store.js';
import { isKeyPart, keys } from './keys.js';
import type { Op } from './transaction.js';

export function levelDownloadCounts(db: Level<string, unknown>, inOrder: <T>(fn: () => Promise<T>) => Promise<T>): DownloadCountTable {
  return {
    add: async (counts) => {
      const adds = countsToAdd(counts);
      if (adds.length === 0) return;
      await inOrder(async () => {
        const found = await db.getMany([...adds.map(([id]) => keys.link(id)), ...adds.map(([id]) => keys.linkDownloads(id))]);
        const ops: Op[] = [];
        adds.forEach(([id, n], i) => {
          if (found[i] === undefined) return;
          ops.push({ type: 'put', key: keys.linkDownloads(id), value: ((found[adds.length + i] as number | undefined) ?? 0) + n });
        });
        if (ops.length > 0) await db.batch<string, unknown>(ops, { sync: false });
      });
    },
    of: async (linkIds) => {
      const ids = linkIds.filter(isKeyPart);
      const found = ids.length > 0 ? await db.getMany(ids.map(keys.linkDownloads)) : [];
      const out = new Map<string, number>(linkIds.map((id) => [id, 0]));
      ids.forEach((id, i) => out.set(id, (found[i] as number | undefined) ?? 0));
      return out;
    },
  };
}
