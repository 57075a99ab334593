// The reward rules as tables: what a download may earn, when it is complete,
// the UTC day by an injected clock, what premium days cost; and the ledger's
// own rules (the daily cap, one point per id, redemptions).
import t from 'tap';
import { eligibility, redemptionCost, rewardRulesOf, utcDay, type DownloadFacts, type RewardRules } from '../../../../tracker/rewards/rules.js';
import { decideAward, decideRedemption } from '../../../../tracker/meta/reward-rules.js';
import type { UserRecord } from '../../../../tracker/meta/store.js';

const MB = 1024 ** 2;
const rules: RewardRules = rewardRulesOf({ rewardCountries: 'US, gb', rewardMaxSize: 100 * MB, rewardDailyCap: 3, rewardPointsPerDay: 10 });
const facts = (over: Partial<DownloadFacts> = {}): DownloadFacts => ({ uploader: 'u1', downloader: undefined, country: 'GB', uploaderAddress: false, size: 5 * MB, ...over });

t.test('eligibility', async (t) => {
  const table: Array<[string, Partial<DownloadFacts>, RewardRules, string]> = [
    ['an anonymous download of a file under the limit from an eligible country', {}, rules, 'ok'],
    ['a signed-in downloader who is not the uploader', { downloader: 'u2' }, rules, 'ok'],
    ['the country list is case-blind', { country: 'US' }, rules, 'ok'],
    ['a link uploaded anonymously: nobody to credit', { uploader: undefined }, rules, 'anonymous-upload'],
    ['an empty file', { size: 0 }, rules, 'empty'],
    ['one byte under the limit', { size: 100 * MB - 1 }, rules, 'ok'],
    ['exactly the limit: not under it', { size: 100 * MB }, rules, 'too-large'],
    ['the uploader downloading their own file', { downloader: 'u1' }, rules, 'own-account'],
    ['from an address the uploader was seen at', { uploaderAddress: true }, rules, 'own-address'],
    ['an ineligible country', { country: 'BR' }, rules, 'country'],
    ['an address the database does not know', { country: undefined }, rules, 'country'],
    ['any known country with *', { country: 'BR' }, { ...rules, countries: '*' }, 'ok'],
    ['* still needs a known country', { country: undefined }, { ...rules, countries: '*' }, 'country'],
    ['points off (no country)', {}, { ...rules, countries: new Set() }, 'off'],
  ];
  for (const [what, over, r, want] of table) {
    const e = eligibility(facts(over), r);
    t.equal(e.ok ? 'ok' : e.why, want, what);
  }
  const e = eligibility(facts(), rules);
  t.same(e, { ok: true, country: 'GB' }, 'an eligible download carries its country');
});

t.test('utcDay by an injected clock: days turn at 00:00 UTC', async (t) => {
  const table: Array<[string, string]> = [
    ['2026-12-03T23:59:59.999Z', '2026-12-03'],
    ['2026-12-04T00:00:00.000Z', '2026-12-04'],
    ['2026-12-04T01:00:00.000+02:00', '2026-12-03'],
  ];
  for (const [at, day] of table) t.equal(utcDay(Date.parse(at)), day, at);
});

t.test('redemptionCost', async (t) => {
  t.equal(redemptionCost(3, rules), 30);
  for (const bad of [0, -1, 1.5, Number.NaN]) t.equal(redemptionCost(bad, rules), undefined, `${bad} days`);
});

t.test('decideAward: account, then one point per id, then the cap', async (t) => {
  const table: Array<[string, { account: boolean; exists: boolean; today: number }, string]> = [
    ['a new point under the cap', { account: true, exists: false, today: 2 }, 'awarded'],
    ['the cap reached', { account: true, exists: false, today: 3 }, 'capped'],
    ['the same point again, whatever the count', { account: true, exists: true, today: 3 }, 'duplicate'],
    ['no account to credit', { account: false, exists: false, today: 0 }, 'no-account'],
  ];
  for (const [what, s, want] of table) t.equal(decideAward(s, 3), want, what);
  t.equal(decideAward({ account: true, exists: false, today: 0 }, 0), 'capped', 'a cap of 0 gives nothing');
});

t.test('decideRedemption: spends, extends from now or from the premium end, refuses when short', async (t) => {
  const user: UserRecord = { id: 'u1', name: 'alice', passwordHash: 'x', tier: 'free', created: '2026-01-01T00:00:00.000Z' };
  const ask = { id: 'r1', userId: 'u1', points: 20, days: 2, at: '2026-12-03T10:00:00.000Z' };
  const r = decideRedemption(user, { earned: 25, spent: 0 }, ask);
  t.equal(r.user.premiumUntil, '2026-12-05T10:00:00.000Z');
  t.same(r.balance, { earned: 25, spent: 20 });
  t.equal(r.redemption.premiumUntil, r.user.premiumUntil);
  const later = decideRedemption({ ...user, premiumUntil: '2027-01-01T00:00:00.000Z' }, { earned: 25, spent: 0 }, ask);
  t.equal(later.user.premiumUntil, '2027-01-03T00:00:00.000Z', 'added to premium still running');
  const lapsed = decideRedemption({ ...user, premiumUntil: '2020-01-01T00:00:00.000Z' }, { earned: 25, spent: 0 }, ask);
  t.equal(lapsed.user.premiumUntil, '2026-12-05T10:00:00.000Z', 'lapsed premium starts from now');
  t.throws(() => decideRedemption(user, { earned: 25, spent: 6 }, ask), { code: 'QUOTA' }, 'short by one');
});
