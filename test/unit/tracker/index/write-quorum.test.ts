// The write quorum's pure parts: where a pipeline goes, the quorum decision
// (refuse or accept under it), a follower's replacement, zones counted.
import t from 'tap';
import pino from 'pino';
import { HoardError } from '../../../../common/protocol/errors.js';
import type { NodeStatus } from '../../../../common/protocol/types.js';
import { chooseInNewZone, choosePipeline, type PlacementRequest } from '../../../../tracker/cluster/placement.js';
import { placeUpload, quorumOf, replaceFollower, zonesOf, type QuorumConfig } from '../../../../tracker/index/write-quorum.js';

const GiB = 1024 ** 3;
const log = pino({ level: 'silent' });

function node(id: string, zone: string, freeBytes = 10 * GiB, state: 'up' | 'down' = 'up'): NodeStatus {
  return { id, zone, publicUrl: `http://${id}`, freeBytes, totalBytes: 100 * GiB, state, lastSeen: '', load: 0, blobCount: 0 };
}

let seed = 7;
const req = (nodes: NodeStatus[], extra: Partial<PlacementRequest> = {}): PlacementRequest => ({
  nodes,
  size: GiB,
  margin: 0,
  random: () => ((seed = (seed * 16807) % 2147483647) / 2147483647),
  ...extra,
});

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof HoardError ? err.code : String(err);
  }
};

const cfg = (c: Partial<QuorumConfig>): QuorumConfig => ({ ackCopies: 2, replicas: 2, underQuorum: 'accept', ...c });

t.test('quorumOf: ackCopies, never more than replicas, at least 1', async (t) => {
  t.equal(quorumOf({ ackCopies: 2, replicas: 2 }), 2);
  t.equal(quorumOf({ ackCopies: 3, replicas: 2 }), 2);
  t.equal(quorumOf({ ackCopies: 2, replicas: 1 }), 1);
  t.equal(quorumOf({ ackCopies: 1, replicas: 3 }), 1);
});

t.test('choosePipeline: each follower in a zone of its own, never a down or full node', async (t) => {
  const nodes = [node('a1', 'a'), node('a2', 'a'), node('b1', 'b'), node('b2', 'b', GiB / 2), node('c1', 'c', 10 * GiB, 'down'), node('d1', 'd')];
  for (let i = 0; i < 200; i++) {
    const d = choosePipeline(req(nodes), 3);
    if (!d.ok) throw new Error('no placement');
    const chosen = [d.first, ...d.followers];
    t.equal(d.followers.length, 2);
    t.equal(new Set(chosen.map((n) => n.zone)).size, 3, 'three zones');
    t.notOk(chosen.some((n) => n.id === 'c1' || n.id === 'b2'), 'neither the down nor the full node');
  }
});

t.test('choosePipeline: fewer followers when fewer zones can take the upload', async (t) => {
  const d = choosePipeline(req([node('a1', 'a'), node('a2', 'a'), node('b1', 'b', 10 * GiB, 'down')]), 2);
  t.ok(d.ok);
  if (d.ok) t.same(d.followers, [], 'a second node in the same zone is no follower');
  const none = choosePipeline(req([node('a1', 'a', 10 * GiB, 'down')]), 2);
  t.equal(none.ok, false);
});

t.test('placeUpload: the quorum decision', async (t) => {
  const twoZones = [node('a1', 'a'), node('b1', 'b')];
  const oneZone = [node('a1', 'a'), node('a2', 'a')];
  const placed = placeUpload(cfg({}), req(twoZones), log);
  t.equal(placed.followers.length, 1);
  t.not(placed.followers[0]!.id, placed.first.id);
  t.same(Object.keys(placed.followers[0]!).sort(), ['id', 'url'], 'a follower is its id and URL');
  t.same(placeUpload(cfg({ ackCopies: 1 }), req(twoZones), log).followers, [], 'ackCopies 1: no pipeline');
  t.same(placeUpload(cfg({ replicas: 1 }), req(twoZones), log).followers, [], 'replicas 1 caps the quorum');
  t.same(placeUpload(cfg({ underQuorum: 'accept' }), req(oneZone), log).followers, [], 'accept: goes on with one copy');
  t.equal(code(() => placeUpload(cfg({ underQuorum: 'refuse' }), req(oneZone), log)), 'QUORUM_UNAVAILABLE', 'refuse: 503 before a byte is sent');
  t.equal(code(() => placeUpload(cfg({}), req([node('a1', 'a', 10 * GiB, 'down')]), log)), 'NO_NODE_AVAILABLE');
});

t.test('replaceFollower: another zone, never a failed node, else PIPELINE_FAILED', async (t) => {
  const nodes = [node('a1', 'a'), node('b1', 'b'), node('b2', 'b'), node('c1', 'c'), node('c2', 'c')];
  const first = nodes[0]!;
  for (let i = 0; i < 50; i++) {
    const r = replaceFollower(req(nodes, { exclude: ['b1'] }), [first], log);
    t.not(r.id, 'b1');
    t.not(r.id, 'a1');
  }
  // b1 failed, c1 kept: only zone b is left, and b1 is excluded.
  t.equal(replaceFollower(req(nodes, { exclude: ['b1'] }), [first, nodes[3]!], log).id, 'b2');
  t.equal(code(() => replaceFollower(req(nodes, { exclude: ['b1', 'b2'] }), [first, nodes[3]!], log)), 'PIPELINE_FAILED');
  t.equal(code(() => replaceFollower(req([first, node('b1', 'b')], { exclude: ['b1'] }), [first], log)), 'PIPELINE_FAILED', 'two zones, the follower lost');
});

t.test('chooseInNewZone leaves out the zones given', async (t) => {
  const nodes = [node('a1', 'a'), node('b1', 'b')];
  t.equal(chooseInNewZone(req(nodes), ['a'])?.id, 'b1');
  t.equal(chooseInNewZone(req(nodes), ['a', 'b']), undefined);
});

t.test('zonesOf counts distinct known zones', async (t) => {
  const zone: Record<string, string> = { a1: 'a', a2: 'a', b1: 'b' };
  t.equal(zonesOf(['a1', 'a2'], (id) => zone[id]), 1);
  t.equal(zonesOf(['a1', 'b1', 'gone'], (id) => zone[id]), 2);
  t.equal(zonesOf([], (id) => zone[id]), 0);
});
