import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import t from 'tap';
import { LevelMetaStore } from '../../../tracker/meta/level.js';
import { StoreError } from '../../../tracker/meta/store.js';
import { gcSuite } from '../../conformance/meta-store/gc.js';
import { suite, type MetaStoreFactory } from '../../conformance/meta-store/core.js';

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
  open: async (location) => {
    const s = new LevelMetaStore(location);
    await s.open();
    return s;
  },
  setSchemaVersion: (location, version) => rawPut(location, 'meta:schema', version),
};

await t.test('MetaStore conformance on LevelDB', (t) => suite(t, factory));
await t.test('MetaStore conformance on LevelDB: delete, GC, bad copies', (t) => gcSuite(t, factory));

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
