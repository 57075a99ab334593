// hoard-admin migrate: a LevelDB store with every kind of record (the reward
// ledger, takedown notices and the audit log included) moved to PostgreSQL
// and back, by the real CLI; the round trip holds the same records (counts,
// checksum, and each record read back identical), and a copy cut half-way
// goes on when run again.
import t from 'tap';
import { join } from 'node:path';
import { appendAudit } from '../../tracker/meta/audit.js';
import { changeHolders, deleteLink, markCopyBad, writeCommit } from '../../tracker/meta/operations.js';
import { migrateStore, summarize } from '../../tracker/meta/migrate.js';
import { openMetaStore } from '../../tracker/meta/open.js';
import type { MetaStore, PointRecord } from '../../tracker/meta/store.js';
import { commitOf, fakeBlob, linkId, nodeRecord } from '../conformance/meta-store/fixtures.js';
import { BIN, missingBuild } from '../helpers/cluster.js';
import { tempDir } from '../helpers/files.js';
import { testPostgres } from '../helpers/postgres.js';
import { describeRun, run } from '../helpers/proc.js';

const pg = await testPostgres(t);
const unbuilt = missingBuild();
if ('skip' in pg || unbuilt) {
  const why = 'skip' in pg ? pg.skip : unbuilt!;
  t.pass(why, { skip: why });
} else {
  const work = await tempDir('hoard-migrate-');
  t.teardown(work.cleanup);

  /** Every record of a store, as read through its readers (what "the same content" means). */
  async function dump(s: MetaStore): Promise<unknown> {
    const blobs = await s.blobs.list({ limit: 1000 });
    return {
      nodes: await s.nodes.list(),
      blobs: await Promise.all(blobs.map(async (b) => ({ b, chunks: await s.blobs.chunks(b.id), prefixes: await s.blobs.prefixes(b.id) }))),
      links: await s.links.list({ limit: 1000 }),
      downloads: Object.fromEntries(await s.downloadCounts.of((await s.links.list({ limit: 1000 })).map((l) => l.id))),
      uploads: await s.uploads.list({ limit: 1000 }),
      bad: await s.badCopies.list({ limit: 1000 }),
      collisions: await s.blobs.collisions({ limit: 1000 }),
      unreferenced: (await s.blobs.unreferenced({ limit: 1000 })).map((b) => b.id),
      counters: await s.counters(),
      accounts: await Promise.all(
        (await s.accounts.users({ limit: 1000 })).map(async (u) => ({
          u,
          usage: await s.accounts.usage(u.id),
          credentials: await s.accounts.credentialsOf(u.id),
          balance: await s.rewards.balance(u.id),
          points: await s.rewards.points(u.id, { limit: 1000 }),
          redemptions: await s.rewards.redemptions(u.id, { limit: 1000 }),
        })),
      ),
      keys: await s.accounts.keys({ limit: 1000 }),
      takedowns: await s.takedowns.list({ limit: 1000 }),
      audit: await s.audit.list({ limit: 1000 }),
    };
  }

  const migrate = (from: string, to: string) => run(process.execPath, [BIN.admin, 'migrate', '--from', from, '--to', to], { timeoutMs: 120_000 });

  const source = join(work.dir, 'source');
  {
    const s = await openMetaStore(`level:${source}`);
    for (const n of ['n1', 'n2', 'n3']) await s.nodes.put({ ...nodeRecord(n), draining: n === 'n3' });
    for (let i = 0; i < 600; i++) await writeCommit(s, commitOf(`blob${i}`, 1000 + i * 700, ['n1']));
    const shared = commitOf('shared', 300_000, ['n1', 'n2']);
    await writeCommit(s, shared);
    await writeCommit(s, { ...shared, link: { ...shared.link, id: linkId(), filename: 'again.bin' } });
    const md5 = 'c'.repeat(32);
    const a = fakeBlob('col-a', 5000, ['n2'], md5);
    const b = fakeBlob('col-b', 6000, ['n2'], md5);
    await writeCommit(s, { link: { id: linkId(), blobId: a.blob.id, filename: 'a', created: a.blob.created }, ...a, prefixes: [{ offset: 4096, md5: 'd'.repeat(32), sha256: 'e'.repeat(64) }] });
    await writeCommit(s, { link: { id: linkId(), blobId: b.blob.id, filename: 'b', created: b.blob.created }, ...b, md5Collision: true, uploadId: 'U'.repeat(22) });
    const gone = commitOf('gone', 777, ['n1']);
    await writeCommit(s, gone);
    await deleteLink(s, gone.link.id, '2024-02-01T00:00:00.000Z');
    await changeHolders(s, shared.blob.id, { add: ['n3'] });
    await markCopyBad(s, { blobId: shared.blob.id, nodeId: 'n2', chunks: [1, 3], source: 'scrub', reported: '2024-03-01T00:00:00.000Z' });
    // An account with a link, a token and a premium key it redeemed; another key still unused.
    await s.accounts.createUser({ id: 'acct1', name: 'alice', passwordHash: 'scrypt$x', tier: 'free', created: '2024-01-01T00:00:00.000Z' });
    await s.accounts.putCredential({ id: 'cred1', userId: 'acct1', kind: 'token', secretHash: 'a'.repeat(64), created: '2024-01-01T00:00:00.000Z', expires: '2025-01-01T00:00:00.000Z' });
    const owned = commitOf('owned', 4321, ['n1']);
    await writeCommit(s, { ...owned, link: { ...owned.link, uploader: 'acct1' } });
    await s.accounts.createKey({ id: 'key1', secretHash: 'b'.repeat(64), days: 30, created: '2024-01-01T00:00:00.000Z' });
    await s.accounts.createKey({ id: 'key2', secretHash: 'c'.repeat(64), days: 7, created: '2024-01-01T00:00:00.000Z' });
    await s.accounts.redeemKey('key1', 'acct1', '2024-01-02T00:00:00.000Z');
    // Its reward ledger: points on two days, two of them spent on a premium day; another account's point.
    await s.accounts.createUser({ id: 'acct2', name: 'bob', passwordHash: 'scrypt$y', tier: 'free', created: '2024-01-01T00:00:00.000Z' });
    const point = (id: string, uploader: string, day: string): PointRecord => ({
      id,
      uploader,
      blobId: owned.blob.id,
      linkId: owned.link.id,
      ipHash: `h${id}`.padEnd(22, 'h'),
      country: 'GB',
      day,
      at: `${day}T10:00:00.000Z`,
    });
    const awards = [point('pt1', 'acct1', '2024-01-03'), point('pt2', 'acct1', '2024-01-03'), point('pt3', 'acct1', '2024-01-04'), { ...point('pt4', 'acct2', '2024-01-04'), downloader: 'acct1' }];
    for (const p of awards) if ((await s.rewards.award(p, 10)) !== 'awarded') throw new Error(`point ${p.id} not awarded`);
    await s.rewards.redeem({ id: '000001704412800000-r1', userId: 'acct1', points: 2, days: 1, at: '2024-01-05T00:00:00.000Z' });
    // A content takedown in force, a lifted link takedown, and the audit entries of the actions.
    await s.takedowns.create({ id: 'td1', scope: 'content', target: shared.blob.id, reason: 'copyright', ref: 'N-1', by: 'ops', created: '2024-01-06T00:00:00.000Z', uploaders: [] });
    await s.takedowns.create({ id: 'td2', scope: 'link', target: owned.link.id, reason: 'spam', by: 'ops', created: '2024-01-06T00:00:01.000Z', uploaders: ['acct1'], lifted: '2024-01-07T00:00:00.000Z', liftedBy: 'ops' });
    await appendAudit(s, Date.parse('2024-01-06T00:00:00.000Z'), { actor: 'ops', action: 'takedown.content', target: shared.blob.id, detail: 'copyright' });
    await appendAudit(s, Date.parse('2024-01-06T00:00:01.000Z'), { actor: 'ops', action: 'takedown.link', target: owned.link.id });
    await appendAudit(s, Date.parse('2024-01-07T00:00:00.000Z'), { actor: 'ops', action: 'takedown.lift', target: 'td2' });
    await s.downloadCounts.add(new Map([[owned.link.id, 3], [shared.link.id, 1]]));
    await s.close();
  }

  await t.test('LevelDB → PostgreSQL → LevelDB by hoard-admin migrate: the same records', async (t) => {
    const db = await pg.database();
    const back = join(work.dir, 'back');
    const there = await migrate(`level:${source}`, db);
    t.equal(there.code, 0, `level → postgres: ${describeRun(there)}`);
    t.match(there.stdout, /verified: both stores hold the same records/);
    const again = await migrate(db, `level:${back}`);
    t.equal(again.code, 0, `postgres → level: ${describeRun(again)}`);

    const [a, p, b] = [await openMetaStore(`level:${source}`), await openMetaStore(db), await openMetaStore(`level:${back}`)];
    t.teardown(() => Promise.all([a, p, b].map((s) => s.close())));
    const sa = await summarize(a);
    t.same(await summarize(p), sa, 'PostgreSQL: same counts and checksum');
    t.same(await summarize(b), sa, 'LevelDB again: same counts and checksum');
    t.match(sa, { nodes: 3, blobs: 605, links: 605, uploads: 1, badCopies: 1, collisions: 1, users: 2, premiumKeys: 2, points: 4, redemptions: 1, takedowns: 2, auditEntries: 3, downloads: 4 });
    t.equal(await p.accounts.usage('acct1'), 4321, 'usage moves with its account');
    for (const s of [p, b]) {
      t.same(await s.rewards.balance('acct1'), { earned: 3, spent: 2 }, 'the balance moves with the ledger');
      t.equal((await s.accounts.user('acct1'))?.premiumUntil, (await a.accounts.user('acct1'))?.premiumUntil, 'premium is not extended again');
    }
    t.same(await dump(b), await dump(a), 'every record reads back identical after the round trip');
    t.same(await dump(p), await dump(a), 'and in PostgreSQL');
  });

  await t.test('a migrate cut half-way goes on when run again', async (t) => {
    const db = await pg.database();
    const a = await openMetaStore(`level:${source}`);
    const p = await openMetaStore(db);
    // The first run dies while copying links (after the nodes, every blob and one page of links).
    let pagesServed = 0;
    const cut: MetaStore = Object.create(a) as MetaStore;
    Object.defineProperty(cut, 'links', {
      value: {
        ...a.links,
        list: async (page: { limit: number; after?: string }) => {
          if (++pagesServed > 1) throw new Error('cut');
          return a.links.list(page);
        },
      },
    });
    await t.rejects(migrateStore(cut, p), /cut/);
    t.ok((await p.counters()).links > 0, 'some links were copied before the cut');
    await Promise.all([a.close(), p.close()]);

    const r = await migrate(`level:${source}`, db);
    t.equal(r.code, 0, describeRun(r));
    t.match(r.stderr, /blobs: 0 copied, 605 there already/);
    t.match(r.stderr, /download counts: 2 copied, 0 there already/);
    t.match(r.stdout, /verified/);
    const again = await migrate(`level:${source}`, db);
    t.equal(again.code, 0, describeRun(again));
    t.match(again.stderr, /download counts: 0 copied, 2 there already/, 'counts are not added twice');
  });

  await t.test('a migrate cut inside an account completes it when run again', async (t) => {
    const db = await pg.database();
    const a = await openMetaStore(`level:${source}`);
    const p = await openMetaStore(db);
    // The first run dies at acct1's redemptions: the account, its credentials, usage and points are in, its redemption is not.
    const cut: MetaStore = Object.create(a) as MetaStore;
    Object.defineProperty(cut, 'rewards', {
      value: {
        ...a.rewards,
        redemptions: async () => {
          throw new Error('cut');
        },
      },
    });
    await t.rejects(migrateStore(cut, p), /cut/);
    t.same(await p.rewards.balance('acct1'), { earned: 3, spent: 0 }, 'points copied before the cut');
    await Promise.all([a.close(), p.close()]);

    const r = await migrate(`level:${source}`, db);
    t.equal(r.code, 0, describeRun(r));
    t.match(r.stderr, /reward points: 1 copied, 3 there already/, "bob's point follows, acct1's are kept");
    t.match(r.stderr, /reward redemptions: 1 copied, 0 there already/);
    t.match(r.stdout, /verified/);
    const back = await openMetaStore(db);
    t.teardown(() => back.close());
    t.same(await back.rewards.balance('acct1'), { earned: 3, spent: 2 });
    t.equal(await back.accounts.usage('acct1'), 4321, 'usage counted once');
  });

  await t.test('bad arguments are refused', async (t) => {
    const same = await migrate(`level:${source}`, `level:${source}`);
    t.equal(same.code, 1);
    t.match(same.stderr, /same store/);
    const unknown = await migrate('mysql://x:secret@h/db', `level:${join(work.dir, 'x')}`);
    t.equal(unknown.code, 1);
    t.notMatch(unknown.stderr, /secret/, 'a URL with a password is not repeated');
  });
}
