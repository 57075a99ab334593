// A node serving many downloads stays up. Each heartbeat lists every
// download the node served in the last 30 s (for the download counts), so a
// busy node's beat outgrows a small JSON body: the tracker once refused it
// with 413 past 16 KiB (about 130 downloads), the beats failed and the node,
// still serving, was marked down again and again, and /f/<id> answered 503
// in each gap.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_MISSES_DOWN } from '../../common/protocol/routes.js';
import type { UploadResult } from '../../common/protocol/types.js';
import { useCluster } from '../helpers/cluster.js';
import { http, resolveLink } from '../helpers/http.js';
import { sleep } from '../helpers/proc.js';

const c = await useCluster(t, { nodes: [{ zone: 'a' }] });
const node = c.nodes[0]!;

const FILES = 300;
const IN_FLIGHT = 16;

async function inBatches<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += IN_FLIGHT) out.push(...(await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n - i) }, (_, k) => fn(i + k)))));
  return out;
}

t.test('after 300 downloads of 300 files in a few seconds the node is still up and its heartbeats get through', async (t) => {
  const content = (i: number) => Buffer.from(`small file ${i}, downloaded once\n`);
  // Files of their own: one downloader fetching one link again keeps its download id, and counts once.
  const links = await inBatches(FILES, async (i) => {
    const up = await http(c.signUpload(node, `small-${i}.txt`), { method: 'PUT', body: content(i) });
    if (up.status !== 201) throw new Error(`upload ${i} answered ${up.status}: ${up.text}`);
    return (JSON.parse(up.text) as UploadResult).link;
  });
  const got = await inBatches(FILES, async (i) => {
    const r = await http(await resolveLink(links[i]!));
    return r.status === 200 && r.body.equals(content(i));
  });
  t.equal(got.filter(Boolean).length, FILES, 'every download got its whole file');

  // Each beat for the next 30 s lists the 300 downloads (about 37 KB). For
  // longer than the tracker waits for a beat before it marks the node down,
  // new downloads must keep being sent to it; refused beats made it flap
  // (down, its stream ended, registered again), and /f/<id> answered 503 in
  // the gaps.
  const watchMs = HEARTBEAT_INTERVAL_MS * (HEARTBEAT_MISSES_DOWN + 2);
  const answers = new Map<number, number>();
  const states = new Set<string>();
  for (const until = Date.now() + watchMs; Date.now() < until; ) {
    const r = await http(links[0]!);
    answers.set(r.status, (answers.get(r.status) ?? 0) + 1);
    states.add((await c.nodeStatuses()).find((n) => n.id === node.id)?.state ?? 'missing');
    await sleep(100);
  }
  t.same([...answers.keys()], [302], `every download asked for meanwhile was sent to the node (answers: ${JSON.stringify([...answers])})`);
  t.same([...states], ['up'], 'the tracker had the node up throughout');
  const log = readFileSync(node.proc.logFile, 'utf8');
  t.notMatch(log, /heartbeat failed/, 'no heartbeat failed');
  t.notMatch(log, /registering again/, 'the stream was never ended');
});
