// The early-stop part of the MetaStore conformance suite, on LevelDB.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LevelMetaStore } from '../../../tracker/meta/level.js';
import { suite } from '../../conformance/meta-store/early-stop.js';

const root = await mkdtemp(join(tmpdir(), 'hoard-meta-es-'));
t.teardown(() => rm(root, { recursive: true, force: true }));
let n = 0;

await t.test('MetaStore early-stop conformance on LevelDB', (t) =>
  suite(t, {
    location: async () => join(root, `db${++n}`),
    open: async (location) => {
      const s = new LevelMetaStore(location);
      await s.open();
      return s;
    },
    setSchemaVersion: () => Promise.reject(new Error('not used here')),
  }),
);
