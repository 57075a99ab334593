// Which back end holds the tracker's metadata, by a spec from the config:
//   level:DIR        LevelDB in DIR (the default: DIR is <data>/meta)
//   postgres://...   PostgreSQL, shared by several trackers (postgres/connection.ts)
import { join } from 'node:path';
import { LevelMetaStore } from './level/level-meta-store.js';
import { isPgOutage } from './postgres/connection.js';
import { PgMetaStore } from './postgres/pg-meta-store.js';
import { StoreError, type MetaStore } from './store.js';

/** The spec used when none is configured: LevelDB under the data directory, where it always was. */
export const defaultMetaSpec = (dataDir: string): string => 'level:' + join(dataDir, 'meta');

/** Builds and opens the store `spec` names. StoreError UNSUPPORTED for an unknown spec. */
export async function openMetaStore(spec: string): Promise<MetaStore> {
  let store: MetaStore;
  if (spec.startsWith('level:') && spec.length > 'level:'.length) store = new LevelMetaStore(spec.slice('level:'.length));
  else if (/^postgres(ql)?:\/\//.test(spec)) store = new PgMetaStore(spec);
  else {
    // The spec itself is not repeated: a database URL may carry a password.
    throw new StoreError('UNSUPPORTED', 'unknown metadata store: --meta takes level:DIR or postgres://…');
  }
  await store.open();
  return store;
}

/** True for a failure to reach the metadata store (not of what was asked of it): worth trying again shortly. */
export const isStoreOutage = (err: unknown): boolean => isPgOutage(err);
