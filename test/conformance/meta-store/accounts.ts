// What every MetaStore back end must do for accounts: users with unique
// names, sessions and tokens, single-use premium keys, links naming their
// uploader, and the usage counter moved by links (with its limit checked in
// the same step as the addition).
import type { Test } from 'tap';
import { deleteLink, writeCommit } from '../../../tracker/meta/operations.js';
import type { CredentialRecord, PremiumKeyRecord, UserRecord } from '../../../tracker/meta/store.js';
import { commitOf, freshStore, rejectsWith, type SuiteOptions } from './fixtures.js';

const T0 = '2024-03-01T00:00:00.000Z';

export const userRecord = (id: string, name = `name-${id}`): UserRecord => ({
  id,
  name,
  passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
  tier: 'free',
  created: T0,
});

const credentialRecord = (id: string, userId: string, kind: CredentialRecord['kind'] = 'token'): CredentialRecord => ({
  id,
  userId,
  kind,
  secretHash: 'a'.repeat(64),
  name: kind === 'token' ? 'ci' : undefined,
  created: T0,
  expires: '2024-04-01T00:00:00.000Z',
});

const keyRecord = (id: string, days = 30): PremiumKeyRecord => ({ id, secretHash: 'b'.repeat(64), days, created: T0 });

/** A commit whose link names an uploader (and a limit on its usage). */
function uploadBy(userId: string, seed: string, size: number, quota?: number) {
  const w = commitOf(seed, size, ['n1']);
  return { ...w, link: { ...w.link, uploader: userId }, ...(quota === undefined ? {} : { quota }) };
}

export async function accountsGroup(t: Test, { factory, supports }: SuiteOptions): Promise<void> {
  const fresh = (t: Test) => freshStore(t, factory);

  await t.test('users: create, get by id and name, list in id order, unique id and name', async (t) => {
    const s = await fresh(t);
    t.equal(await s.accounts.user('u1'), undefined);
    await s.accounts.createUser(userRecord('u2', 'bob'));
    await s.accounts.createUser(userRecord('u1', 'alice'));
    t.same(await s.accounts.user('u1'), userRecord('u1', 'alice'));
    t.same(await s.accounts.userByName('bob'), userRecord('u2', 'bob'));
    t.equal(await s.accounts.userByName('carol'), undefined);
    t.equal(await s.accounts.userByName('no such name!'), undefined, 'a name no account can have finds nothing');
    await rejectsWith(t, s.accounts.createUser(userRecord('u3', 'alice')), 'CONFLICT', 'name taken');
    await rejectsWith(t, s.accounts.createUser(userRecord('u1', 'carol')), 'CONFLICT', 'id taken');
    t.same((await s.accounts.users({ limit: 10 })).map((u) => u.id), ['u1', 'u2']);
    t.same((await s.accounts.users({ limit: 10, after: 'u1' })).map((u) => u.id), ['u2']);
    t.same((await s.accounts.users({ limit: 1 })).map((u) => u.id), ['u1']);
  });

  await t.test('users: update keeps id and name, holds concurrent updates apart', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1', 'alice'));
    t.equal(await s.accounts.updateUser('nobody', (u) => u), undefined);
    const after = await s.accounts.updateUser('u1', (u) => ({ ...u, tier: 'admin', premiumUntil: '2025-01-01T00:00:00.000Z' }));
    t.equal(after?.tier, 'admin');
    t.same(await s.accounts.user('u1'), { ...userRecord('u1', 'alice'), tier: 'admin', premiumUntil: '2025-01-01T00:00:00.000Z' });
    await t.rejects(s.accounts.updateUser('u1', (u) => ({ ...u, name: 'mallory' })), TypeError);
    // Twenty updates at once, each adding a day: none is lost.
    const base = Date.parse('2025-01-01T00:00:00.000Z');
    await Promise.all(
      Array.from({ length: 20 }, () =>
        s.accounts.updateUser('u1', (u) => ({ ...u, premiumUntil: new Date(Date.parse(u.premiumUntil!) + 86_400_000).toISOString() })),
      ),
    );
    t.equal((await s.accounts.user('u1'))?.premiumUntil, new Date(base + 20 * 86_400_000).toISOString());
  });

  await t.test('credentials: put, get, list per account, delete; deleting the account takes them along', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1'));
    await s.accounts.createUser(userRecord('u2'));
    await s.accounts.putCredential(credentialRecord('c2', 'u1', 'session'));
    await s.accounts.putCredential(credentialRecord('c1', 'u1'));
    await s.accounts.putCredential(credentialRecord('c3', 'u2'));
    t.same(await s.accounts.credential('c1'), credentialRecord('c1', 'u1'));
    t.equal(await s.accounts.credential('c9'), undefined);
    t.same((await s.accounts.credentialsOf('u1')).map((c) => c.id), ['c1', 'c2']);
    t.equal(await s.accounts.deleteCredential('c1'), true);
    t.equal(await s.accounts.deleteCredential('c1'), false, 'twice finds nothing');
    t.equal(await s.accounts.credential('c1'), undefined);
    t.same((await s.accounts.credentialsOf('u1')).map((c) => c.id), ['c2']);
    t.equal(await s.accounts.deleteUser('u1'), true);
    t.equal(await s.accounts.deleteUser('u1'), false);
    t.equal(await s.accounts.user('u1'), undefined);
    t.equal(await s.accounts.credential('c2'), undefined, 'sessions go with the account');
    t.same(await s.accounts.credentialsOf('u1'), []);
    t.same((await s.accounts.credentialsOf('u2')).map((c) => c.id), ['c3'], 'other accounts keep theirs');
    await s.accounts.createUser(userRecord('u4', 'name-u1'));
    t.equal((await s.accounts.userByName('name-u1'))?.id, 'u4', 'a deleted account frees its name');
  });

  await t.test('premium keys: created once, redeemed once, premium added to what is left', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1'));
    await s.accounts.createKey(keyRecord('k1', 30));
    await s.accounts.createKey(keyRecord('k2', 10));
    await rejectsWith(t, s.accounts.createKey(keyRecord('k1')), 'CONFLICT', 'key id taken');
    t.same((await s.accounts.keys({ limit: 10 })).map((k) => k.id), ['k1', 'k2']);
    const r = await s.accounts.redeemKey('k1', 'u1', T0);
    t.equal(r.user.premiumUntil, '2024-03-31T00:00:00.000Z');
    t.equal(r.key.redeemedBy, 'u1');
    t.same(await s.accounts.key('k1'), { ...keyRecord('k1', 30), redeemedBy: 'u1', redeemed: T0 });
    t.equal((await s.accounts.user('u1'))?.premiumUntil, '2024-03-31T00:00:00.000Z');
    await rejectsWith(t, s.accounts.redeemKey('k1', 'u1', T0), 'CONFLICT', 'used key');
    await rejectsWith(t, s.accounts.redeemKey('k9', 'u1', T0), 'NOT_FOUND', 'unknown key');
    await rejectsWith(t, s.accounts.redeemKey('k2', 'u9', T0), 'NOT_FOUND', 'unknown account');
    await s.accounts.redeemKey('k2', 'u1', '2024-03-02T00:00:00.000Z');
    t.equal((await s.accounts.user('u1'))?.premiumUntil, '2024-04-10T00:00:00.000Z', 'added to the premium left');
  });

  await t.test('two redeems of one key at once: one wins', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1'));
    await s.accounts.createUser(userRecord('u2'));
    await s.accounts.createKey(keyRecord('k1', 30));
    const results = await Promise.allSettled([s.accounts.redeemKey('k1', 'u1', T0), s.accounts.redeemKey('k1', 'u2', T0)]);
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const premium = [(await s.accounts.user('u1'))?.premiumUntil, (await s.accounts.user('u2'))?.premiumUntil].filter((p) => p !== undefined);
    t.equal(premium.length, 1, 'one account got premium');
  });

  await t.test('links name their uploader; usage counts logical bytes, dedup included, and deletion gives them back', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1'));
    t.equal(await s.accounts.usage('u1'), 0);
    const a = uploadBy('u1', 'ua', 1000);
    await writeCommit(s, a);
    t.equal((await s.links.get(a.link.id))?.uploader, 'u1');
    t.equal(await s.accounts.usage('u1'), 1000);
    const dup = uploadBy('u1', 'ua', 1000);
    t.equal((await writeCommit(s, dup)).created, false, 'a link to stored content');
    t.equal(await s.accounts.usage('u1'), 2000, 'a deduplicated upload counts all the same');
    const anon = commitOf('ua', 1000, ['n1']);
    await writeCommit(s, anon);
    t.equal((await s.links.get(anon.link.id))?.uploader, undefined, 'an anonymous link has no uploader');
    t.equal(await s.accounts.usage('u1'), 2000);
    await deleteLink(s, a.link.id, T0);
    t.equal(await s.accounts.usage('u1'), 1000, 'a deleted link gives its bytes back');
    t.equal(await s.accounts.usage('nobody'), 0);
  });

  await t.test('an account\'s links, in id order, paged; a deleted link leaves the list', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1'));
    await s.accounts.createUser(userRecord('u2'));
    const mine = [uploadBy('u1', 'la', 100), uploadBy('u1', 'lb', 200), uploadBy('u1', 'la', 100)];
    for (const w of mine) await writeCommit(s, w);
    await writeCommit(s, uploadBy('u2', 'lc', 300));
    await writeCommit(s, commitOf('ld', 400, ['n1']));
    const ids = mine.map((w) => w.link.id).sort();
    t.same((await s.links.ofUploader('u1', { limit: 10 })).map((l) => l.id), ids, 'every link of u1, and only those');
    t.same((await s.links.ofUploader('u1', { limit: 10 }))[0], await s.links.get(ids[0]!), 'whole records');
    t.same((await s.links.ofUploader('u1', { limit: 2 })).map((l) => l.id), ids.slice(0, 2));
    t.same((await s.links.ofUploader('u1', { limit: 10, after: ids[1] })).map((l) => l.id), ids.slice(2));
    t.equal((await s.links.ofUploader('u2', { limit: 10 })).length, 1);
    t.same(await s.links.ofUploader('nobody', { limit: 10 }), []);
    t.same(await s.links.ofUploader('no such id!', { limit: 10 }), [], 'an id no account can have finds nothing');
    await deleteLink(s, ids[0]!, T0);
    t.same((await s.links.ofUploader('u1', { limit: 10 })).map((l) => l.id), ids.slice(1));
  });

  await t.test('a commit past the uploader\'s limit is refused whole: no link, no blob, no usage', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1'));
    await writeCommit(s, uploadBy('u1', 'q1', 600, 1000));
    const over = uploadBy('u1', 'q2', 500, 1000);
    await rejectsWith(t, writeCommit(s, over), 'QUOTA', 'over the limit');
    t.equal(await s.links.get(over.link.id), undefined);
    t.equal(await s.blobs.get(over.blob.id), undefined);
    t.equal(await s.accounts.usage('u1'), 600);
    t.same(await s.counters(), { blobs: 1, links: 1, bytesStored: 600, logicalBytes: 600, uniqueBytes: 600 });
    await writeCommit(s, uploadBy('u1', 'q3', 400, 1000));
    t.equal(await s.accounts.usage('u1'), 1000, 'up to the limit exactly');
  });

  await t.test('concurrent commits of one account cannot overshoot its limit', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1'));
    // Ten different contents (ten MD5 locks) of 300 bytes against a limit of 1000: three fit.
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => writeCommit(s, uploadBy('u1', `c${i}`, 300, 1000))));
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    t.ok(results.every((r) => r.status === 'fulfilled' || (r.reason as { code?: string }).code === 'QUOTA'));
    t.equal(await s.accounts.usage('u1'), 900);
    t.equal((await s.counters()).links, 3);
  });

  await t.test('many commits at once: one that conflicts, one over its limit and one that throws take none of the others with them', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1'));
    await s.accounts.createUser(userRecord('u2'));
    const taken = commitOf('taken', 10, ['n1']);
    await writeCommit(s, taken);
    const before = await s.counters();
    // Arriving in one tick, so a back end that commits in groups puts them in one.
    const good = Array.from({ length: 24 }, (_, i) => uploadBy(i % 2 ? 'u1' : 'u2', `many${i}`, 100, 10_000));
    const conflicting = { ...commitOf('clash', 10, ['n1']), link: { ...commitOf('clash', 10, ['n1']).link, id: taken.link.id } };
    const over = uploadBy('u1', 'too-big', 20_000, 10_000);
    const calls = [
      ...good.map((w) => writeCommit(s, w)),
      writeCommit(s, conflicting),
      writeCommit(s, over),
      s.transact('thrower', async (tx) => {
        await tx.blob(taken.blob.id);
        throw new Error('changed my mind');
      }),
    ];
    const results = await Promise.allSettled(calls);
    t.ok(
      results.slice(0, good.length).every((r) => r.status === 'fulfilled' && r.value.created),
      'every other commit landed',
    );
    await rejectsWith(t, calls[good.length]!, 'CONFLICT', 'the link that exists');
    await rejectsWith(t, calls[good.length + 1]!, 'QUOTA', 'the one over its limit');
    await t.rejects(calls[good.length + 2]!, { message: 'changed my mind' }, 'the one that threw');
    for (const w of good) t.same(await s.links.get(w.link.id), w.link);
    t.equal(await s.blobs.get(conflicting.blob.id), undefined, 'nothing of the conflicting commit');
    t.equal(await s.blobs.get(over.blob.id), undefined, 'nothing of the one over its limit');
    t.equal(await s.accounts.usage('u1'), 1200);
    t.equal(await s.accounts.usage('u2'), 1200);
    t.same(await s.counters(), { blobs: before.blobs + 24, links: before.links + 24, bytesStored: before.bytesStored + 2400, logicalBytes: before.logicalBytes + 2400, uniqueBytes: before.uniqueBytes + 2400 });
  });

  if (supports.persistence) {
    await t.test('accounts and usage outlive close and open', async (t) => {
      const loc = await factory.location();
      const s = await factory.open(loc);
      await s.accounts.createUser(userRecord('u1', 'alice'));
      await s.accounts.putCredential(credentialRecord('c1', 'u1'));
      await writeCommit(s, uploadBy('u1', 'p1', 123));
      await s.close();
      const again = await factory.open(loc);
      t.teardown(() => again.close());
      t.equal((await again.accounts.userByName('alice'))?.id, 'u1');
      t.equal((await again.accounts.credential('c1'))?.userId, 'u1');
      t.equal(await again.accounts.usage('u1'), 123);
    });
  }
}
