// Attacks from outside on a real tracker and node: learning whether a file
// is stored from a node's public metrics, many connections trickling JSON
// bodies (each byte used to reset the idle timer, so none was ever closed),
// and requests Node's parser refuses, which used to get bare status lines
// instead of the error table's JSON.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { putFile } from '../../client/tus-upload.js';
import { FIRST_CHECKPOINT } from '../../common/protocol/prefix.js';
import { TRACKER, TUS_NODE } from '../../common/protocol/routes.js';
import { useCluster } from '../helpers/cluster.js';
import { makeRandomFile, tempDir } from '../helpers/files.js';
import { RawHttp, errorCode, http, metricsAuth } from '../helpers/http.js';
import { sleep, waitFor } from '../helpers/proc.js';
import { tusCreate } from '../helpers/tus.js';

const BODY_TIMEOUT_MS = 2_000;
const MAX_OPEN = 15;
const c = await useCluster(t, {
  nodes: [{}, {}],
  trackerArgs: ['--body-timeout', String(BODY_TIMEOUT_MS), '--tus-create-burst', '20', '--tus-create-rate', '60', '--tus-max-open', String(MAX_OPEN)],
  nodeArgs: ['--body-timeout', String(BODY_TIMEOUT_MS)],
});
const trackerPort = c.tracker.port;
const nodePort = c.nodes[0]!.port;
const work = await tempDir();
t.teardown(work.cleanup);

t.test('stored or not: nothing public on the holder changes when the tracker asks it for a proof', async (t) => {
  const file = await makeRandomFile(join(work.dir, 'known.bin'), FIRST_CHECKPOINT + 4096);
  await putFile(c.trackerUrl, file.path, { stateDir: '' });
  const holderId = (await c.blobs()).find((b) => b.sha256 === file.sha256)!.nodes[0];
  const node = c.nodes.find((n) => n.id === holderId)!.directUrl;
  const token = (await readFile(join(c.root, 'metrics-token'), 'utf8')).trim();
  const scrape = async (base: string, headers: Record<string, string> = {}) => http(`${base}/metrics`, { headers });
  const proofCalls = async () => {
    const text = (await scrape(node, { authorization: `Bearer ${token}` })).text;
    const re = new RegExp(`^hoard_http_request_duration_seconds_count\\{route="${TUS_NODE.proof}"[^}]*\\} (\\d+)`, 'gm');
    return [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  };
  // What an attacker reads: every public answer about the node, whole.
  const publicView = async () => {
    const out: string[] = [];
    for (const [base, path] of [[node, '/metrics'], [node, '/health'], [c.trackerUrl, '/metrics']] as const) {
      const r = await http(base + path);
      out.push(`${base}${path} ${r.status} ${r.text}`);
    }
    return out;
  };

  const calls0 = await proofCalls();
  const before = await publicView();
  // The attack: a declared upload of the stored file, knowing only its digests and size.
  const up = await tusCreate(c.trackerUrl, { size: file.size, md5: file.md5, sha256: file.sha256 });
  t.equal(up.status, 201);
  t.ok(up.challenge, 'a challenge, so the tracker asks the holder for the expected answer');
  await waitFor('the proof call to reach the holder', async () => (await proofCalls()) > calls0);
  const after = await publicView();
  t.same(after, before, 'the public answers are the same, byte for byte');
  for (const line of after.filter((l) => l.includes('/metrics'))) t.match(line, / 401 .*"UNAUTHORIZED"/, 'metrics need a credential');

  // The scraper's token, and only it, opens them; the cluster credential too (hoard-admin, tests).
  t.equal((await scrape(node, { authorization: `Bearer ${token}x` })).status, 401, 'a wrong token');
  const ok = await scrape(c.trackerUrl, { authorization: `Bearer ${token}` });
  t.equal(ok.status, 200);
  t.match(ok.text, /^hoard_http_request_duration_seconds_count/m);
  t.equal((await scrape(node, metricsAuth(c.secret))).status, 200, 'the cluster credential');
});

t.test('200 connections trickling a JSON body are all answered 408 and closed at the deadline', async (t) => {
  const CONNECTIONS = 200;
  /** Generous on a loaded machine; without the deadline none closes before the 60 s idle timeout. */
  const CLOSED_WITHIN_MS = 30_000;
  const head = 'POST /api/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n';
  const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawHttp.connect(trackerPort)));
  const started = Date.now();
  const closedAt = new Map<RawHttp, number>();
  await Promise.all(conns.map((conn) => conn.write(head + '{')));
  // One byte a second on every connection still open: more than the idle timer needs to stay reset.
  while (closedAt.size < CONNECTIONS && Date.now() - started < CLOSED_WITHIN_MS) {
    await sleep(1_000);
    for (const conn of conns) {
      if (conn.closed) {
        if (!closedAt.has(conn)) closedAt.set(conn, Date.now() - started);
      } else {
        void conn.write(' ');
      }
    }
  }
  for (const conn of conns) conn.destroy();
  t.equal(closedAt.size, CONNECTIONS, `${closedAt.size} of ${CONNECTIONS} closed within ${CLOSED_WITHIN_MS / 1000} s`);
  const codes = new Map<string, number>();
  for (const conn of conns) {
    const r = conn.responses.find((x) => x.status >= 200);
    const key = r ? `${r.status} ${errorCode(r.body.toString('utf8')) ?? ''}` : 'no answer';
    codes.set(key, (codes.get(key) ?? 0) + 1);
  }
  t.same(Object.fromEntries(codes), { '408 REQUEST_TIMEOUT': CONNECTIONS }, 'each got a JSON 408');
  const times = [...closedAt.values()].sort((a, b) => a - b);
  t.comment(`closed after ${times[Math.floor(times.length / 2)]} ms (median), ${times[times.length - 1]} ms (last); deadline ${BODY_TIMEOUT_MS} ms`);
  // The tracker still answers, and nobody's going away was logged as an internal error.
  t.equal((await http(`${c.trackerUrl}/health`)).status, 200, 'the tracker still answers');
  t.notMatch(c.logTail(400), /"level":50/, 'no error-level log line');
});

// [what, raw request, status, code]
const framing: Array<[string, string, number, string]> = [
  ['Content-Length: -1', 'POST /api/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400, 'BAD_REQUEST'],
  ['Content-Length with Transfer-Encoding', 'POST /api/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'BAD_REQUEST'],
  ['obs-fold', 'GET /health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n', 400, 'BAD_REQUEST'],
  ['20 KB of headers', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
  ['Expect: 200-ok', 'GET /health HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n', 417, 'EXPECTATION_FAILED'],
];

for (const [role, port] of [['tracker', trackerPort], ['node', nodePort]] as const) {
  t.test(`the ${role} answers framing errors with the error table's JSON`, async (t) => {
    for (const [what, text, status, code] of framing) {
      const conn = await RawHttp.connect(port);
      await conn.write(text);
      const r = await conn.response(10_000);
      conn.destroy();
      t.equal(r.status, status, `${what}: status`);
      t.match(r.headers['content-type'], /^application\/json/, `${what}: JSON`);
      t.equal(errorCode(r.body.toString('utf8')), code, `${what}: code`);
    }
  });
}

t.test('a signed upload URL takes one upload, of its declared size, on its node', async (t) => {
  // The attack of the report: one URL from {"size":5}, five different files, every node.
  const target = await c.api<{ url: string; node: string }>('POST', TRACKER.uploadTarget, { filename: 'five.bin', size: 5 });
  const answers: string[] = [];
  for (let i = 0; i < 5; i++) {
    for (const n of c.nodes) {
      const u = new URL(target.url);
      u.port = String(n.port);
      const r = await http(u.toString(), { method: 'PUT', body: `file${i}` });
      answers.push(`${n.id === target.node ? 'chosen' : 'other'} ${r.status} ${errorCode(r.text) ?? ''}`);
    }
  }
  t.same(answers.filter((a) => a.startsWith('chosen ')), ['chosen 201 ', ...Array(4).fill('chosen 409 UPLOAD_URL_USED')], 'one upload on the chosen node, then refused');
  t.same(answers.filter((a) => a.startsWith('other ')), Array(5).fill('other 403 TOKEN_INVALID'), 'never on another node');
  const sized = await c.api<{ url: string }>('POST', TRACKER.uploadTarget, { filename: 'six.bin', size: 5 });
  const six = await http(sized.url, { method: 'PUT', body: 'six by' });
  t.equal(`${six.status} ${errorCode(six.text)}`, '403 TOKEN_INVALID', 'another size is refused');
  t.equal((await c.links()).filter((l) => l.filename === 'five.bin').length, 1, 'one link from the URL');
});

t.test('a tus creation flood from one client is cut off with 429 and Retry-After', async (t) => {
  // The report's 3,000 creations in 3.8 s, scaled down: 150 as fast as ten connections go.
  const answers: Array<{ status: number; code: string | undefined; retryAfter: string | undefined }> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < 150) {
        next++;
        const up = await tusCreate(c.trackerUrl, { size: 1_000_000 });
        answers.push({ status: up.status, code: errorCode(up.text), retryAfter: up.headers['retry-after'] });
      }
    }),
  );
  const created = answers.filter((a) => a.status === 201).length;
  const refused = answers.filter((a) => a.status === 429);
  t.comment(`${created} created, ${refused.length} refused`);
  t.ok(created >= 1 && created <= MAX_OPEN, `at most ${MAX_OPEN} open uploads per client (${created} created)`);
  t.equal(created + refused.length, answers.length, 'nothing but 201 and 429');
  t.ok(refused.every((a) => a.code === 'TOO_MANY_UPLOADS' && /^[1-9]\d*$/.test(a.retryAfter ?? '')), 'each refusal says TOO_MANY_UPLOADS and when to retry');
  // The tracker itself is unharmed.
  t.equal((await http(`${c.trackerUrl}/health`)).status, 200);
});
