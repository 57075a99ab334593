// The MetaStore conformance suite on LevelDB, and what only LevelDB has.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import t from 'tap';
import { openMetaStore } from '../../../tracker/meta/open.js';
import { StoreError } from '../../../tracker/meta/store.js';
import { metaStoreSuite, type MetaStoreFactory } from './index.js';

const root = await mkdtemp(join(tmpdir(), 'hoard-meta-level-'));
t.teardown(() => rm(root, { recursive: true, force: true }));
let n = 0;

async function rawPut(location: string, key: string, value: unknown): Promise<void> {
  const db = new Level<string, unknown>(location, { valueEncoding: 'json' });
  await db.open();
  await db.put(key, value);
  await db.close();
}

const factory: MetaStoreFactory = {
  location: async () => join(root, `db${++n}`),
  open: (location) => openMetaStore(`level:${location}`),
  setSchemaVersion: (location, version) => rawPut(location, 'meta:schema', version),
};

await t.test('MetaStore conformance on LevelDB', (t) =>
  metaStoreSuite(t, { factory, supports: { persistence: true, schemaVersion: true, sharedLocation: false } }),
);

await t.test('a LevelDB with data but no schema key is refused', async (t) => {
  const loc = join(root, 'foreign');
  await rawPut(loc, 'someone-else', 1);
  await t.rejects(factory.open(loc), StoreError);
});

await t.test('close then open twice in a row works, and close is idempotent', async (t) => {
  const loc = await factory.location();
  const s = await factory.open(loc);
  await s.close();
  await s.close();
  const again = await factory.open(loc);
  await again.close();
  t.pass();
});

await t.test('openMetaStore: unknown specs are refused without repeating them', async (t) => {
  await t.rejects(openMetaStore('mysql://user:pw@host/db'), { code: 'UNSUPPORTED', message: /^(?!.*pw)/ });
  await t.rejects(openMetaStore('level:'), { code: 'UNSUPPORTED' });
});
