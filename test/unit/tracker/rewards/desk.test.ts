// The reward desk behind the download follower: a download judged able to
// earn at signing, the bytes nodes report added up across nodes, one award
// once the file is whole.
import t from 'tap';
import { pino } from 'pino';
import { DownloadFollow } from '../../../../tracker/downloads/follow.js';
import { DownloadTally } from '../../../../tracker/downloads/tally.js';
import type { PointRecord, RewardTable } from '../../../../tracker/meta/store.js';
import { RewardDesk, type DownloadAsk } from '../../../../tracker/rewards/desk.js';
import { rewardRulesOf } from '../../../../tracker/rewards/rules.js';

function rig() {
  let now = Date.parse('2026-12-03T10:00:00Z');
  const awarded: PointRecord[] = [];
  const ledger = {
    award: async (p: PointRecord) => {
      if (awarded.some((a) => a.id === p.id)) return 'duplicate';
      awarded.push(p);
      return 'awarded';
    },
  } as unknown as RewardTable;
  const outcomes: string[] = [];
  const log = pino({ level: 'silent' });
  const desk = new RewardDesk({
    rules: rewardRulesOf({ rewardCountries: 'GB', rewardMaxSize: 1000, rewardDailyCap: 10, rewardPointsPerDay: 5 }),
    ledger,
    secret: 's'.repeat(32),
    countryOf: (ip) => (ip.startsWith('81.') ? 'GB' : 'BR'),
    now: () => now,
    log,
    counted: (o) => outcomes.push(o),
  });
  const follow = new DownloadFollow({ secret: 's'.repeat(32), now: () => now, tally: new DownloadTally({ add: async () => undefined, log, observe: { counted: () => undefined, wrote: () => undefined } }), whole: (id) => desk.whole(id) });
  /** Signs a download as links.ts does: an id for every download, judged for a point. */
  const open = (a: DownloadAsk, holder = `ip:${a.ip}`) => {
    const id = follow.open({ holder, linkId: a.linkId, blobId: a.blobId, size: a.size });
    return { id, mayEarn: desk.open(a, id) };
  };
  return { desk, follow, open, awarded, outcomes, tick: (ms: number) => (now += ms) };
}

const blob = 'a'.repeat(64);
const ask = (over: Partial<DownloadAsk> = {}): DownloadAsk => ({
  ip: '81.2.69.160',
  downloader: undefined,
  linkId: 'link1',
  uploader: 'u1',
  blobId: blob,
  size: 100,
  ...over,
});
const settle = () => new Promise((r) => setImmediate(r));

t.test('ranges from two nodes add up to one point', async (t) => {
  const { follow, open, awarded } = rig();
  const { id, mayEarn } = open(ask());
  t.ok(mayEarn);
  follow.served([{ id, blob, ranges: [[0, 49]] }]);
  await settle();
  t.equal(awarded.length, 0, 'half the file: nothing yet');
  follow.served([{ id, blob, ranges: [[50, 99]] }]);
  follow.served([{ id, blob, ranges: [[0, 99]] }]);
  await settle();
  t.equal(awarded.length, 1, 'one point');
  t.match(awarded[0], { uploader: 'u1', blobId: blob, linkId: 'link1', country: 'GB', day: '2026-12-03' });
  t.notMatch(JSON.stringify(awarded[0]), /81\.2\.69\.160/, 'the address is not kept');
});

t.test('99 % earns nothing; a report for another blob is ignored', async (t) => {
  const { follow, open, awarded } = rig();
  const { id } = open(ask());
  follow.served([{ id, blob, ranges: [[0, 98]] }]);
  follow.served([{ id, blob: 'b'.repeat(64), ranges: [[0, 99]] }]);
  await settle();
  t.equal(awarded.length, 0);
});

t.test('two links of one uploader to one file, downloaded by one address, earn one point', async (t) => {
  const { follow, open, awarded } = rig();
  const a = open(ask()).id;
  const b = open(ask({ linkId: 'link2' })).id;
  t.not(a, b, 'each link its own download');
  follow.served([
    { id: a, blob, ranges: [[0, 99]] },
    { id: b, blob, ranges: [[0, 99]] },
  ]);
  await settle();
  t.equal(awarded.length, 1, 'the ledger keeps one point per file, address and day');
});

t.test('downloads that cannot earn are followed all the same, and earn nothing', async (t) => {
  const { desk, follow, open, awarded, outcomes } = rig();
  const refused = [
    open(ask({ ip: '200.1.1.1' })),
    open(ask({ downloader: 'u1' }), 'user:u1'),
    open(ask({ uploader: undefined, linkId: 'anon' })),
    open(ask({ size: 1000, blobId: 'c'.repeat(64) })),
  ];
  desk.seen('u1', '81.2.69.160');
  refused.push(open(ask()));
  t.same(refused.map((r) => r.mayEarn), [false, false, false, false, false]);
  t.ok(refused.every((r) => /^[A-Za-z0-9_-]{22}$/.test(r.id)), 'each has a download id');
  t.same(outcomes, ['country', 'own-account', 'anonymous-upload', 'too-large', 'own-address']);
  follow.served(refused.map((r) => ({ id: r.id, blob, ranges: [[0, 99]] })));
  await settle();
  t.equal(awarded.length, 0);
});
