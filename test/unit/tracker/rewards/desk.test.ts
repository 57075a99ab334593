// The reward desk: a download id for a download that may earn, the bytes
// nodes report added up across nodes, one award once the file is whole.
import t from 'tap';
import { pino } from 'pino';
import type { PointRecord, RewardTable } from '../../../../tracker/meta/store.js';
import { RewardDesk, type DownloadAsk } from '../../../../tracker/rewards/desk.js';
import { rewardRulesOf } from '../../../../tracker/rewards/rules.js';

function rig(t: { teardown(fn: () => void): void }) {
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
  const desk = new RewardDesk({
    rules: rewardRulesOf({ rewardCountries: 'GB', rewardMaxSize: 1000, rewardDailyCap: 10, rewardPointsPerDay: 5 }),
    ledger,
    secret: 's'.repeat(32),
    countryOf: (ip) => (ip.startsWith('81.') ? 'GB' : 'BR'),
    now: () => now,
    log: pino({ level: 'silent' }),
    counted: (o) => outcomes.push(o),
  });
  t.teardown(() => undefined);
  return { desk, awarded, outcomes, tick: (ms: number) => (now += ms) };
}

const blob = 'a'.repeat(64);
const ask = (over: Partial<DownloadAsk> = {}): DownloadAsk => ({
  holder: 'ip:81.2.69.160',
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
  const { desk, awarded } = rig(t);
  const id = desk.open(ask())!;
  t.match(id, /^[A-Za-z0-9_-]{22}$/, 'a download id');
  desk.served([{ id, blob, ranges: [[0, 49]] }]);
  await settle();
  t.equal(awarded.length, 0, 'half the file: nothing yet');
  desk.served([{ id, blob, ranges: [[50, 99]] }]);
  desk.served([{ id, blob, ranges: [[0, 99]] }]);
  await settle();
  t.equal(awarded.length, 1, 'one point');
  t.match(awarded[0], { uploader: 'u1', blobId: blob, linkId: 'link1', country: 'GB', day: '2026-12-03' });
  t.notMatch(JSON.stringify(awarded[0]), /81\.2\.69\.160/, 'the address is not kept');
});

t.test('99 % earns nothing; a report for another blob is ignored', async (t) => {
  const { desk, awarded } = rig(t);
  const id = desk.open(ask())!;
  desk.served([{ id, blob, ranges: [[0, 98]] }]);
  desk.served([{ id, blob: 'b'.repeat(64), ranges: [[0, 99]] }]);
  await settle();
  t.equal(awarded.length, 0);
});

t.test('one id per downloader, file and day', async (t) => {
  const { desk, tick } = rig(t);
  const a = desk.open(ask({ holder: 'user:u2', downloader: 'u2' }));
  t.equal(desk.open(ask({ holder: 'user:u2', downloader: 'u2' })), a, 'the same id again that day (a resume, another range)');
  t.not(desk.open(ask({ holder: 'user:u3', downloader: 'u3' })), a, 'another downloader');
  t.not(desk.open(ask({ holder: 'user:u2', downloader: 'u2', blobId: 'c'.repeat(64) })), a, 'another file');
  tick(86_400_000);
  t.not(desk.open(ask({ holder: 'user:u2', downloader: 'u2' })), a, 'the next day');
});

t.test('downloads that cannot earn get no id', async (t) => {
  const { desk, outcomes } = rig(t);
  t.equal(desk.open(ask({ ip: '200.1.1.1', holder: 'ip:200.1.1.1' })), undefined);
  t.equal(desk.open(ask({ downloader: 'u1' })), undefined);
  t.equal(desk.open(ask({ uploader: undefined })), undefined);
  t.equal(desk.open(ask({ size: 1000 })), undefined);
  desk.seen('u1', '81.2.69.160');
  t.equal(desk.open(ask()), undefined, 'the uploader was seen at this address');
  t.same(outcomes, ['country', 'own-account', 'anonymous-upload', 'too-large', 'own-address']);
});
