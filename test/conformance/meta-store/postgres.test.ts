// The MetaStore conformance suite on PostgreSQL, and what only PostgreSQL has:
// several stores on one database (trackers sharing it) take turns per key.
import t from 'tap';
import { openMetaStore } from '../../../tracker/meta/open.js';
import { PG_SCHEMA_VERSION } from '../../../tracker/meta/postgres/schema.js';
import { StoreError } from '../../../tracker/meta/store.js';
import { testPostgres } from '../../helpers/postgres.js';
import { metaStoreSuite, type MetaStoreFactory } from './index.js';

const pg = await testPostgres(t);
if ('skip' in pg) {
  t.comment(pg.skip);
  t.pass(pg.skip, { skip: pg.skip });
} else {
  const factory: MetaStoreFactory = {
    location: () => pg.location(),
    open: (url) => openMetaStore(url),
    setSchemaVersion: async (url, version) => {
      await pg.sql(url, 'INSERT INTO hoard_schema (version) VALUES ($1)', [version]);
    },
  };

  await t.test('MetaStore conformance on PostgreSQL', (t) =>
    metaStoreSuite(t, { factory, supports: { persistence: true, schemaVersion: true, sharedLocation: true } }),
  );

  await t.test('a database with hoard\'s tables but no schema version is refused', async (t) => {
    const url = await pg.database();
    await pg.sql(url, 'CREATE TABLE blobs (x int)');
    await t.rejects(openMetaStore(url), { code: 'SCHEMA_VERSION', message: /no hoard_schema/ });
  });

  await t.test('a new database is migrated to the current version once, however many trackers open it together', async (t) => {
    const url = await pg.database();
    const stores = await Promise.all([openMetaStore(url), openMetaStore(url), openMetaStore(url)]);
    await Promise.all(stores.map((s) => s.close()));
    const rows = await pg.sql<{ version: number }>(url, 'SELECT version FROM hoard_schema ORDER BY version');
    t.same(rows.map((r) => r.version), Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
  });

  await t.test('an unreachable server is a clear StoreError, without the password', async (t) => {
    const err = await openMetaStore('postgres://hoard:s3cret@127.0.0.1:1/hoard').catch((e: unknown) => e);
    t.ok(err instanceof StoreError);
    t.equal((err as StoreError).code, 'UNAVAILABLE');
    t.notMatch((err as Error).message, /s3cret/);
  });
}
