// The download follower and the tally: a download counts for its link once
// the bytes served under its id cover the whole file, once per downloader,
// link and UTC day; counts reach the store in batches, and a refused batch
// is kept for the next.
import t from 'tap';
import { pino } from 'pino';
import { DownloadFollow, type FollowAsk } from '../../../../tracker/downloads/follow.js';
import { DownloadTally } from '../../../../tracker/downloads/tally.js';

const log = pino({ level: 'silent' });
const blob = 'a'.repeat(64);

function rig() {
  let now = Date.parse('2026-12-03T10:00:00Z');
  const written: Array<Record<string, number>> = [];
  let refuse = false;
  const tally = new DownloadTally({
    add: async (counts) => {
      if (refuse) throw new Error('store down');
      written.push(Object.fromEntries(counts));
    },
    log,
    observe: { counted: () => undefined, wrote: () => undefined },
  });
  const wholes: string[] = [];
  const follow = new DownloadFollow({ secret: 's'.repeat(32), now: () => now, tally, whole: (id) => wholes.push(id) });
  const open = (over: Partial<FollowAsk> = {}) => follow.open({ holder: 'ip:192.0.2.1', linkId: 'link1', blobId: blob, size: 100, ...over });
  return { follow, tally, open, written, wholes, tick: (ms: number) => (now += ms), refuse: (v: boolean) => (refuse = v) };
}

t.test('complete: the whole file, in one piece or many, over nodes and beats', async (t) => {
  const table: Array<[string, Array<Array<[number, number]>>, number]> = [
    ['one response', [[[0, 99]]], 1],
    ['99 %', [[[0, 98]]], 0],
    ['a byte missing in the middle', [[[0, 49], [51, 99]]], 0],
    ['the first byte missing', [[[1, 99]]], 0],
    ['halves from two nodes', [[[0, 49]], [[50, 99]]], 1],
    ['half, repeated by every beat', [[[0, 49]], [[0, 49]], [[0, 49]]], 0],
  ];
  for (const [what, beats, want] of table) {
    const { follow, tally, open } = rig();
    const id = open();
    for (const ranges of beats) follow.served([{ id, blob, ranges }]);
    t.equal(tally.unwritten, want, what);
  }
});

t.test('once per downloader, link and UTC day', async (t) => {
  const { follow, tally, open, tick, wholes } = rig();
  const a = open();
  t.match(a, /^[A-Za-z0-9_-]{22}$/, 'a download id');
  t.equal(open(), a, 'the same id again that day (a resume, another range)');
  follow.served([{ id: a, blob, ranges: [[0, 99]] }]);
  follow.served([{ id: a, blob, ranges: [[0, 99]] }]);
  t.equal(tally.unwritten, 1, 'a second complete download that day counts nothing more');
  t.same(wholes, [a, a], 'each report of it is handed on (reward points retry a failed write)');
  const other = open({ holder: 'ip:192.0.2.2' });
  const otherLink = open({ linkId: 'link2' });
  t.not(other, a, 'another downloader');
  t.not(otherLink, a, 'another link');
  follow.served([
    { id: other, blob, ranges: [[0, 99]] },
    { id: otherLink, blob, ranges: [[0, 99]] },
  ]);
  t.equal(tally.unwritten, 3);
  tick(86_400_000);
  const tomorrow = open();
  t.not(tomorrow, a, 'the next day');
  follow.served([{ id: tomorrow, blob, ranges: [[0, 99]] }]);
  t.equal(tally.unwritten, 4, 'counts again the next day');
  t.equal(follow.following, 4);
});

t.test('reports for unknown ids or another blob count nothing', async (t) => {
  const { follow, tally, open } = rig();
  const id = open();
  follow.served([{ id: 'x'.repeat(22), blob, ranges: [[0, 99]] }]);
  follow.served([{ id, blob: 'b'.repeat(64), ranges: [[0, 99]] }]);
  t.equal(tally.unwritten, 0);
});

t.test('an empty file counts when its URL is signed (no byte to serve)', async (t) => {
  const { tally, open } = rig();
  open({ size: 0 });
  open({ size: 0 });
  t.equal(tally.unwritten, 1);
});

t.test('the tally writes per link in one batch; a refused batch is kept for the next', async (t) => {
  const { follow, tally, open, written, refuse } = rig();
  const ids = [open(), open({ holder: 'ip:192.0.2.2' }), open({ linkId: 'link2' })];
  follow.served(ids.map((id) => ({ id, blob, ranges: [[0, 99]] as Array<[number, number]> })));
  refuse(true);
  await tally.flush();
  t.same(written, []);
  t.equal(tally.unwritten, 3, 'kept');
  refuse(false);
  await tally.flush();
  t.same(written, [{ link1: 2, link2: 1 }]);
  await tally.flush();
  t.equal(written.length, 1, 'nothing to write: no write');
  follow.served([{ id: open({ holder: 'ip:192.0.2.3' }), blob, ranges: [[0, 99]] }]);
  await tally.stop();
  t.same(written.at(-1), { link1: 1 }, 'stop writes what is left');
});
