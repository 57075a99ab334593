// hoard get switching copies, in-process: a stand-in tracker that first sends
// the client to a dead node, then honours ?avoid=; and a node that dies half
// way, after which the download resumes on the other copy with a Range.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { PassThrough } from 'node:stream';
import { downloadLink, streamLink } from '../../../client/download.js';
import { NODE_ID_HEADER } from '../../../common/protocol/routes.js';
import { listen } from '../../../common/http.js';

const quiet = () => ({ update: () => {}, stop: () => {} });

const data = randomBytes(300_000);
const sha256 = createHash('sha256').update(data).digest('hex');
const md5 = createHash('md5').update(data).digest('hex');
const LINK = 'AAAAAAAAAAAAAAAAAAAAAA';

async function serve(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/**
 * A node serving `data`, honouring one Range; `cutAfter` bytes into its first
 * answer it hangs up, once the client has written some of them to `part`
 * (a fixed delay loses the race on a busy machine: nothing arrived yet).
 */
async function node(cutAfter?: number, part?: string) {
  const ranges: string[] = [];
  let served = 0;
  const s = await serve((req, res) => {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    ranges.push(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const body = data.subarray(start);
    res.writeHead(range ? 206 : 200, { 'content-length': body.length, ...(range ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}) });
    if (cutAfter !== undefined && served++ === 0) {
      res.write(body.subarray(0, cutAfter));
      void arrived(part).then(() => res.socket?.destroy());
      return;
    }
    res.end(body);
  });
  return { ...s, ranges };
}

/** Until `part` holds a byte (at most 10 s), or 20 ms when there is no file to watch. */
async function arrived(part: string | undefined): Promise<void> {
  if (!part) return sleep(20);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && ((await stat(part).catch(() => undefined))?.size ?? 0) === 0) await sleep(5);
}

async function tracker(first: { id: string; url: string }, second: { id: string; url: string }) {
  const asked: string[] = [];
  const s = await serve((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === `/api/links/${LINK}`) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: LINK, link: '', filename: 'f.bin', size: data.length, md5, sha256, created: '' }));
      return;
    }
    asked.push(u.searchParams.getAll('avoid').join(','));
    const to = u.searchParams.getAll('avoid').includes(first.id) ? second : first;
    res.writeHead(302, { location: `${to.url}/blob/x`, [NODE_ID_HEADER]: to.id });
    res.end();
  });
  return { ...s, asked };
}

t.test('sent to a dead node: one retry, told to avoid it, reaches the other copy', async (t) => {
  const good = await node();
  const dead = await serve(() => undefined);
  const deadUrl = dead.url;
  await dead.close(); // nothing listens there any more: connection refused
  const tr = await tracker({ id: 'dead', url: deadUrl }, { id: 'good', url: good.url });
  t.teardown(async () => {
    await good.close();
    await tr.close();
  });
  const retries: string[] = [];
  const out = join(t.testdir(), 'a.bin');
  await downloadLink({ tracker: tr.url, id: LINK }, { out, onRetry: (l) => retries.push(l) });
  t.equal(createHash('sha256').update(await readFile(out)).digest('hex'), sha256);
  t.equal(retries.length, 1, `one retry: ${retries.join(' | ')}`);
  t.same(tr.asked, ['', 'dead'], 'the second resolve avoids the dead node');
});

t.test('a node dying half way: the download resumes on the other copy from where it stopped', async (t) => {
  const out = join(t.testdir(), 'b.bin');
  const dying = await node(100_000, out + '.part');
  const good = await node();
  const tr = await tracker({ id: 'dying', url: dying.url }, { id: 'good', url: good.url });
  t.teardown(async () => {
    await dying.close();
    await good.close();
    await tr.close();
  });
  const retries: string[] = [];
  await downloadLink({ tracker: tr.url, id: LINK }, { out, onRetry: (l) => retries.push(l) });
  t.equal(createHash('sha256').update(await readFile(out)).digest('hex'), sha256);
  t.equal(retries.length, 1);
  t.same(tr.asked, ['', 'dying']);
  t.match(good.ranges[0], /^bytes=\d+-$/, 'the other copy was asked for the rest only');
  t.ok(Number(/\d+/.exec(good.ranges[0]!)![0]) > 0);
});

/** A node whose copy failed its check before the first byte: it sends the reader back to the tracker (heal on read). */
async function healingNode(trackerUrl: () => string) {
  let asked = 0;
  const s = await serve((_req, res) => {
    asked++;
    res.writeHead(302, { location: `${trackerUrl()}/f/${LINK}?download=1&avoid=healing` });
    res.end();
  });
  return { ...s, asked: () => asked };
}

for (const mode of ['file', 'stdout'] as const) {
  t.test(`a node's heal-on-read redirect (${mode}): the next copy at once, no retry counted, no back-off`, async (t) => {
    const good = await node();
    let trackerUrl = '';
    const healing = await healingNode(() => trackerUrl);
    const tr = await tracker({ id: 'healing', url: healing.url }, { id: 'good', url: good.url });
    trackerUrl = tr.url;
    t.teardown(async () => {
      await good.close();
      await healing.close();
      await tr.close();
    });
    const retries: string[] = [];
    let got: Buffer;
    if (mode === 'file') {
      const out = join(t.testdir(), 'c.bin');
      await downloadLink({ tracker: tr.url, id: LINK }, { out, onRetry: (l) => retries.push(l), progress: quiet });
      got = await readFile(out);
    } else {
      const sink = new PassThrough();
      const parts: Buffer[] = [];
      sink.on('data', (b: Buffer) => parts.push(b));
      await streamLink({ tracker: tr.url, id: LINK }, sink, { onRetry: (l) => retries.push(l), progress: quiet });
      got = Buffer.concat(parts);
    }
    t.equal(createHash('sha256').update(got).digest('hex'), sha256);
    t.equal(healing.asked(), 1, 'the healing node was asked once');
    t.same(retries, [], 'a referral is not a failure');
    t.same(tr.asked, ['', 'healing'], 'the second resolve avoids the node that sent the reader on');
  });
}
