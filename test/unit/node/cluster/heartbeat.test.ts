// The node's link to the tracker against a small stand-in tracker that checks
// the cluster credential: registration on the heartbeat stream with
// back-off, heartbeats, registering again at once when the stream ends or
// the tracker forgot the node, and when the tracker falls silent.
import { mkdtemp, rm } from 'node:fs/promises';
import type http from 'node:http';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { pino, type Logger } from 'pino';
import { HoardError } from '../../../../common/protocol/errors.js';
import { createServer, listen, readJson, sendJson } from '../../../../common/http.js';
import { createLogger } from '../../../../common/log.js';
import { TRACKER } from '../../../../common/protocol/routes.js';
import { type Heartbeat, type NodeRegistration } from '../../../../common/protocol/types.js';
import { verifyClusterAuth } from '../../../../common/sign.js';
import { FileChunkStore } from '../../../../node/store/file-chunk-store.js';
import { TrackerLink } from '../../../../node/cluster/heartbeat.js';
import { heartbeatClient } from '../../../../node/cluster/tracker-client.js';
import { nodeStreamClient } from '../../../../node/cluster/tracker-stream.js';
import { TrackerView } from '../../../../node/cluster/tracker-view.js';
import { RateGuard } from '../../../../node/upload/rate-guard.js';
import { NodeTakedowns } from '../../../../node/cluster/takedowns.js';

const SECRET = 'test-secret-0123456789';
const log = createLogger('test', 'silent');

function fakeTracker(opts: { silent?: boolean } = {}) {
  const known = new Set<string>();
  const registrations: NodeRegistration[] = [];
  const beats: Heartbeat[] = [];
  const streams: ServerResponse[] = [];
  const server: http.Server = createServer(async (req, res, url) => {
    const digest = verifyClusterAuth(SECRET, req.method ?? '', url.pathname + url.search, req.headers['x-hoard-auth'] as string | undefined);
    if (url.pathname === TRACKER.nodeStream) {
      const reg = await readJson<NodeRegistration>(req, 65536, digest);
      registrations.push(reg);
      known.add(reg.id);
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      // A silent tracker answers the registration and then says nothing more.
      res.write(JSON.stringify({ type: 'registered', ok: true, trackerUrl: 'http://public.example/', uploadMargin: 64 * 1024 * 1024 }) + '\n');
      if (!opts.silent) {
        const ping = setInterval(() => res.write('{"type":"ping"}\n'), 20);
        res.on('close', () => clearInterval(ping));
      }
      streams.push(res);
    } else if (url.pathname === TRACKER.heartbeat) {
      const hb = await readJson<Heartbeat>(req, 65536, digest);
      if (!known.has(hb.id)) throw new HoardError('NODE_NOT_FOUND');
      beats.push(hb);
      sendJson(res, 200, { ok: true });
    } else throw new HoardError('NOT_FOUND');
  }, log);
  return { server, known, registrations, beats, streams };
}

async function until(cond: () => boolean, ms = 5_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

async function setup(t: Test, secret = SECRET, fakeOpts: { silent?: boolean } = {}, silenceMs?: number, linkOpts: { reserve?: number; log?: Logger } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'hoard-hb-'));
  const store = new FileChunkStore({ dir, chunkSize: 65536 });
  await store.open();
  const fake = fakeTracker(fakeOpts);
  const port = await listen(fake.server, 0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  const view = new TrackerView();
  const link = new TrackerLink({
    api: heartbeatClient(base, secret),
    stream: nodeStreamClient(base, secret, silenceMs),
    view,
    takedowns: new NodeTakedowns(),
    base,
    store,
    log,
    nodeId: 'node-a',
    zone: 'z1',
    publicUrl: 'http://127.0.0.1:9999',
    load: () => 3,
    leases: () => ({ active: [], ended: [] }),
    served: () => [],
    intervalMs: 30,
    backoffMs: { initial: 20, max: 80 },
    ...linkOpts,
  });
  t.teardown(async () => {
    await link.stop();
    fake.server.closeAllConnections();
    await new Promise((r) => fake.server.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  return { fake, port, link, view };
}

t.test('registers once the tracker comes up, heartbeats, registers again at once when the stream ends or the node is forgotten', async (t) => {
  const { fake, port, link, view } = await setup(t);
  // Release the port so the first registrations fail.
  fake.server.closeAllConnections();
  await new Promise((r) => fake.server.close(r));
  link.start();
  await new Promise((r) => setTimeout(r, 150));
  t.equal(link.registered, false, 'still trying while the tracker is down');
  t.equal(view.publicUrl, undefined);

  await listen(fake.server, port, '127.0.0.1');
  await link.whenRegistered();
  t.match(fake.registrations[0], { id: 'node-a', zone: 'z1', publicUrl: 'http://127.0.0.1:9999' });
  t.ok(fake.registrations[0]!.totalBytes > 0);
  t.equal(view.publicUrl, 'http://public.example', 'the tracker told its public URL (trailing slash dropped)');

  t.ok(await until(() => fake.beats.length >= 3), 'heartbeats arrive');
  t.match(fake.beats[0], { id: 'node-a', load: 3, blobCount: 0 });

  // The tracker ends the stream (it is stopping): the node registers again.
  const before = fake.registrations.length;
  fake.streams[0]!.end();
  t.ok(await until(() => fake.registrations.length > before), 'registers again after the stream ended');

  fake.known.clear();
  const again = fake.registrations.length;
  t.ok(await until(() => fake.registrations.length > again), 'registers again after NODE_NOT_FOUND');
  const beatsNow = fake.beats.length;
  t.ok(await until(() => fake.beats.length > beatsNow), 'and heartbeats again');
});

t.test('a node whose disk less its reserve is not above the tracker\'s upload margin says at start it can never take an upload', async (t) => {
  const lines: string[] = [];
  const logged = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const warned = () => lines.some((l) => l.includes('can never take an upload'));
  const big = await setup(t, SECRET, {}, undefined, { reserve: Number.MAX_SAFE_INTEGER, log: logged });
  big.link.start();
  await big.link.whenRegistered();
  t.ok(await until(warned), 'warned');
  t.ok(await until(() => big.fake.beats.length > 0));
  t.equal(big.fake.beats[0]!.reserveBytes, Number.MAX_SAFE_INTEGER, 'the heartbeat reports the reserve');
  lines.length = 0;
  const fine = await setup(t, SECRET, {}, undefined, { reserve: 0, log: logged });
  fine.link.start();
  await fine.link.whenRegistered();
  t.ok(await until(() => fine.fake.beats.length > 0));
  t.notOk(warned(), 'a disk with room says nothing');
});

t.test('a tracker that falls silent is left and registered with again', async (t) => {
  const { fake, link } = await setup(t, SECRET, { silent: true }, 150);
  link.start();
  await link.whenRegistered();
  t.ok(await until(() => fake.registrations.length >= 2), 'no ping for the silence limit: registers again');
});

t.test('a wrong secret keeps retrying without crashing', async (t) => {
  const { fake, link } = await setup(t, 'another-secret-0000000');
  link.start();
  await new Promise((r) => setTimeout(r, 150));
  t.equal(link.registered, false);
  t.equal(fake.registrations.length, 0);
});

t.test('rate guard', async (t) => {
  const g = new RateGuard(1000, 30_000, 0);
  t.equal(g.tooSlow(0, 10_000), false, 'no verdict before a full window');
  t.equal(g.tooSlow(100, 29_999), false);
  t.equal(g.tooSlow(100, 30_000), true, '100 bytes in 30 s is too slow');
  const ok = new RateGuard(1000, 30_000, 0);
  let cut = 0;
  for (let s = 1; s <= 120; s++) if (ok.tooSlow(s * 2000, s * 1000)) cut = s;
  t.equal(cut, 0, 'a steady 2000 bytes/s is never cut');
  const stall = new RateGuard(1000, 30_000, 0);
  let verdict = false;
  for (let s = 1; s <= 100 && !verdict; s++) {
    // Fast for 60 s, then nothing: the verdict comes once the window holds only the stall.
    const bytes = Math.min(s, 60) * 10_000;
    verdict = stall.tooSlow(bytes, s * 1000);
    if (verdict) t.ok(s > 60 && s <= 90, `cut at second ${s}`);
  }
  t.ok(verdict, 'a stall is cut');
  t.equal(new RateGuard(0, 30_000, 0).tooSlow(0, 1e9), false, 'off at 0');
});
