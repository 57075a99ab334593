// The bench's bulk fill of the tracker index writes what commits write: the
// store reads every filled record back as the commit made it, counts them,
// and takes further commits on top.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { checkFilled, fillIndex, levelBulk, multiRow, pgBulk, type BulkWriter } from '../../../bench/lib/index-fill.js';
import { createLogger } from '../../../common/log.js';
import type { BlobManifest } from '../../../common/protocol/types.js';
import { Committer } from '../../../tracker/index/committer.js';
import { openMetaStore } from '../../../tracker/meta/open.js';
import { testPostgres } from '../../helpers/postgres.js';

const N = 2_500; // more than one batch of the fill
const deps = { refuse: async () => undefined, isLive: () => true, log: createLogger('test', 'silent') };

function manifest(): BlobManifest {
  const r = randomBytes(48);
  const id = r.subarray(16).toString('hex');
  return { id, md5: r.subarray(0, 16).toString('hex'), sha256: id, size: 1000, chunkSize: 8 << 20, chunks: [{ size: 1000, sha256: id }] };
}

async function fillAndCheck(t: Test, spec: string, bulk: () => Promise<BulkWriter>): Promise<void> {
  await (await openMetaStore(spec)).close();
  let seen = 0;
  const checked = await fillIndex(
    await bulk(),
    N,
    (i) => ({ filename: `f-${i}.bin`, manifest: manifest() }),
    (store) => new Committer({ store, ...deps }),
    () => seen++,
    () => undefined,
  );
  t.equal(seen, N);
  const store = await openMetaStore(spec);
  try {
    await checkFilled(store, checked, N);
    const more = await new Committer({ store, ...deps }).commit('bench-node', 'more.bin', manifest());
    t.notOk(more.dedup, 'a commit after the fill makes a new blob');
    t.equal((await store.counters()).blobs, N + 1);
    t.ok(await store.links.get(checked.at(-1)!.link.id), 'the last checked link is there');
  } finally {
    await store.close();
  }
}

t.test('multiRow merges the single-row INSERTs of each table, tables in first-seen order', async (t) => {
  t.same(multiRow(["INSERT INTO a (x, y) VALUES (1, 'p')", 'INSERT INTO b (z) VALUES (2)', "INSERT INTO a (x, y) VALUES (3, 'q')"]), [
    "INSERT INTO a (x, y) VALUES (1, 'p'),\n(3, 'q')",
    'INSERT INTO b (z) VALUES (2)',
  ]);
  t.throws(() => multiRow(['UPDATE a SET x = 1']));
  t.throws(() => multiRow(['INSERT INTO a (x) VALUES (1) ON CONFLICT (x) DO NOTHING']));
});

t.test('LevelDB: a bulk fill reads back as committed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hoard-fill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await fillAndCheck(t, `level:${dir}`, () => levelBulk(dir));
});

t.test('PostgreSQL: a bulk fill reads back as committed', async (t) => {
  const pgs = await testPostgres(t);
  if ('skip' in pgs) {
    t.pass(pgs.skip, { skip: pgs.skip });
    return;
  }
  const url = await pgs.location();
  await fillAndCheck(t, url, async () => pgBulk(url));
});
