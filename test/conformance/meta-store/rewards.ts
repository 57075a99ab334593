// What every MetaStore back end must do for the reward ledger: points unique
// by id, the daily cap per uploader and day checked in the same step as the
// addition, balances that the records add up to, and redemptions that spend
// points and extend premium together, exactly once under concurrent asks;
// a redemption restored as it was (moving a store) spends without extending.
import type { Test } from 'tap';
import type { PointRecord } from '../../../tracker/meta/store.js';
import { pointKey } from '../../../tracker/meta/store.js';
import { userRecord } from './accounts.js';
import { freshStore, rejectsWith, type SuiteOptions } from './fixtures.js';

const point = (id: string, uploader: string, day = '2026-03-01', extra: Partial<PointRecord> = {}): PointRecord => ({
  id,
  uploader,
  blobId: 'a'.repeat(64),
  linkId: 'L1',
  ipHash: 'h'.repeat(22),
  country: 'GB',
  day,
  at: `${day}T10:00:00.000Z`,
  ...extra,
});

export async function rewardsGroup(t: Test, { factory }: SuiteOptions): Promise<void> {
  const fresh = (t: Test) => freshStore(t, factory);

  await t.test('award: a point once per id, up to the daily cap per uploader and day, only to an account', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1', 'alice'));
    await s.accounts.createUser(userRecord('u2', 'bob'));
    t.equal(await s.rewards.award(point('p1', 'u1'), 2), 'awarded');
    t.equal(await s.rewards.award(point('p1', 'u1'), 2), 'duplicate', 'the same point again');
    t.equal(await s.rewards.award(point('p2', 'u1'), 2), 'awarded');
    t.equal(await s.rewards.award(point('p3', 'u1'), 2), 'capped', 'the cap holds');
    t.equal(await s.rewards.award(point('p4', 'u1', '2026-03-02'), 2), 'awarded', 'another day has its own cap');
    t.equal(await s.rewards.award(point('p5', 'u2'), 2), 'awarded', 'another uploader has its own cap');
    t.equal(await s.rewards.award(point('p6', 'nobody'), 2), 'no-account');
    t.same(await s.rewards.balance('u1'), { earned: 3, spent: 0 });
    t.same(await s.rewards.balance('nobody'), { earned: 0, spent: 0 });
    t.same((await s.rewards.points('u1', { limit: 10 })).map((p) => p.id), ['p1', 'p2', 'p4'], 'in (day, id) order');
    t.same(await s.rewards.points('u1', { limit: 1 }), [point('p1', 'u1')], 'records as written');
    t.same((await s.rewards.points('u1', { limit: 10, after: pointKey(point('p2', 'u1')) })).map((p) => p.id), ['p4'], 'paged');
    t.same(await s.rewards.points('no such id!', { limit: 10 }), []);
  });

  await t.test('award: concurrent awards of one uploader stop at the cap', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1', 'alice'));
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => s.rewards.award(point(`p${i}`, 'u1'), 5)));
    t.equal(outcomes.filter((o) => o === 'awarded').length, 5);
    t.equal(outcomes.filter((o) => o === 'capped').length, 7);
    t.same(await s.rewards.balance('u1'), { earned: 5, spent: 0 });
  });

  await t.test('redeem: points for premium days, refused when short, recorded, the balance what the ledger adds up to', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1', 'alice'));
    for (const id of ['p1', 'p2', 'p3']) await s.rewards.award(point(id, 'u1'), 10);
    const at = '2026-03-05T00:00:00.000Z';
    await rejectsWith(t, s.rewards.redeem({ id: 'r0', userId: 'u1', points: 4, days: 2, at }), 'QUOTA', 'balance short');
    await rejectsWith(t, s.rewards.redeem({ id: 'r0', userId: 'nobody', points: 1, days: 1, at }), 'NOT_FOUND', 'no account');
    const r = await s.rewards.redeem({ id: 'r1', userId: 'u1', points: 2, days: 1, at });
    t.equal(r.user.premiumUntil, '2026-03-06T00:00:00.000Z', 'premium from now');
    t.equal(r.redemption.premiumUntil, '2026-03-06T00:00:00.000Z');
    t.same(r.balance, { earned: 3, spent: 2 });
    t.equal((await s.accounts.user('u1'))?.premiumUntil, '2026-03-06T00:00:00.000Z', 'the account extended');
    await rejectsWith(t, s.rewards.redeem({ id: 'r1', userId: 'u1', points: 1, days: 1, at }), 'CONFLICT', 'the id is taken');
    const r2 = await s.rewards.redeem({ id: 'r2', userId: 'u1', points: 1, days: 2, at });
    t.equal(r2.user.premiumUntil, '2026-03-08T00:00:00.000Z', 'added to what is left');
    t.same(await s.rewards.balance('u1'), { earned: 3, spent: 3 });
    const reds = await s.rewards.redemptions('u1', { limit: 10 });
    t.same(reds.map((x) => x.id), ['r1', 'r2']);
    t.same((await s.rewards.redemptions('u1', { limit: 10, after: 'r1' })).map((x) => x.id), ['r2']);
    // The audit: the balance is what the records add up to.
    const earned = (await s.rewards.points('u1', { limit: 1000 })).length;
    const spent = reds.reduce((n, x) => n + x.points, 0);
    t.same(await s.rewards.balance('u1'), { earned, spent });
  });

  await t.test('redeem: concurrent redemptions with points for one extend premium exactly once', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser(userRecord('u1', 'alice'));
    for (const id of ['p1', 'p2']) await s.rewards.award(point(id, 'u1'), 10);
    const at = '2026-03-05T00:00:00.000Z';
    const settled = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => s.rewards.redeem({ id: `r${i}`, userId: 'u1', points: 2, days: 3, at })));
    t.equal(settled.filter((x) => x.status === 'fulfilled').length, 1, 'one redemption');
    t.ok(settled.every((x) => x.status === 'fulfilled' || (x.reason as { code?: string }).code === 'QUOTA'), 'the others refused as short');
    t.equal((await s.accounts.user('u1'))?.premiumUntil, '2026-03-08T00:00:00.000Z', 'three days, once');
    t.same(await s.rewards.balance('u1'), { earned: 2, spent: 2 });
    t.equal((await s.rewards.redemptions('u1', { limit: 10 })).length, 1);
  });

  await t.test('restore: a redemption as it was, its points spent, the account untouched, once', async (t) => {
    const s = await fresh(t);
    await s.accounts.createUser({ ...userRecord('u1', 'alice'), premiumUntil: '2026-04-01T00:00:00.000Z' });
    for (const id of ['p1', 'p2', 'p3']) await s.rewards.award(point(id, 'u1'), 10);
    const r = { id: 'r1', userId: 'u1', points: 2, days: 1, at: '2026-03-05T00:00:00.000Z', premiumUntil: '2026-03-06T00:00:00.000Z' };
    t.equal(await s.rewards.restore(r), true);
    t.equal(await s.rewards.restore(r), false, 'there already');
    t.same(await s.rewards.redemptions('u1', { limit: 10 }), [r], 'the record as it was');
    t.same(await s.rewards.balance('u1'), { earned: 3, spent: 2 });
    t.equal((await s.accounts.user('u1'))?.premiumUntil, '2026-04-01T00:00:00.000Z', 'premium left as it is');
    await rejectsWith(t, s.rewards.restore({ ...r, userId: 'nobody' }), 'NOT_FOUND', 'no account');
  });
}
