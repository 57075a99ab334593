// The node's trackers: a call goes to the one that answered last and on to
// the next only when that one cannot be reached (or a proxy says it is away).
import t from 'tap';
import { TrackerSet } from '../../../../node/cluster/tracker-set.js';
import { RemoteError } from '../../../../common/protocol/errors.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

t.test('fails over on a connection failure or a 502, keeps the tracker that answered', async (t) => {
  const set = new TrackerSet(['http://a', 'http://b', 'http://c']);
  const asked: string[] = [];
  const out = await set.call(async (base) => {
    asked.push(base);
    if (base === 'http://a') throw refused();
    if (base === 'http://b') throw new RemoteError(502, 'HTTP_502', 'bad gateway');
    return 'ok';
  });
  t.equal(out, 'ok');
  await set.call(async (base) => asked.push(base));
  t.same(asked, ['http://a', 'http://b', 'http://c', 'http://c'], 'c answered: it goes first next time');
});

t.test('an answer from a tracker is not a reason to ask another', async (t) => {
  const set = new TrackerSet(['http://a', 'http://b']);
  let calls = 0;
  const answer = new RemoteError(503, 'PIPELINE_FAILED', 'no node');
  await t.rejects(
    set.call(async () => {
      calls++;
      throw answer;
    }),
    answer,
  );
  t.equal(calls, 1);
  await t.rejects(set.call(async () => Promise.reject(refused())), { code: 'ECONNREFUSED' }, 'none can be reached: the last failure');
});
