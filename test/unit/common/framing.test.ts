// Requests Node's HTTP parser refuses before any handler (bad framing,
// oversized heads, unknown expectations) get the error table's status and
// a JSON body from both daemons, not Node's bare status lines.
import { pino } from 'pino';
import t from 'tap';
import { composeTracker } from '../../../tracker/compose.js';
import { trackerSpec, type TrackerConfig } from '../../../tracker/config.js';
import { RawHttp, errorCode } from '../../helpers/http.js';
import { SECRET, startNode } from '../node/rig.js';

const defaults = Object.fromEntries(Object.entries(trackerSpec).map(([k, f]) => [k, f.default])) as unknown as TrackerConfig;
const tracker = await composeTracker(Object.freeze({ ...defaults, data: t.testdir(), port: 0, secret: SECRET }), { log: pino({ level: 'silent' }) });
const trackerPort = await tracker.listen();
t.teardown(() => tracker.close());

// [what, raw request, status, code]
const cases: Array<[string, string, number, string]> = [
  ['negative Content-Length', 'POST /api/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400, 'BAD_REQUEST'],
  ['Content-Length with Transfer-Encoding', 'POST /api/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'BAD_REQUEST'],
  ['obs-fold', 'GET /health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n', 400, 'BAD_REQUEST'],
  ['20 KB of headers', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
  ['Expect: 200-ok', 'GET /health HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n', 417, 'EXPECTATION_FAILED'],
  ['not HTTP at all', 'HELLO\r\n\r\n', 400, 'BAD_REQUEST'],
];

async function exchange(port: number, text: string) {
  const c = await RawHttp.connect(port);
  await c.write(text);
  const r = await c.response(5_000);
  c.destroy();
  return r;
}

t.test('the tracker answers framing errors from the error table, in JSON', async (t) => {
  for (const [what, text, status, code] of cases) {
    const r = await exchange(trackerPort, text);
    t.equal(r.status, status, `${what}: status`);
    t.match(r.headers['content-type'], /^application\/json/, `${what}: JSON`);
    t.equal(errorCode(r.body.toString('utf8')), code, `${what}: ${r.body.toString('utf8').slice(0, 120)}`);
  }
});

t.test('a node answers framing errors from the error table, in JSON', async (t) => {
  const { port } = await startNode(t);
  for (const [what, text, status, code] of cases) {
    const r = await exchange(port, text.replace('/api/uploads', '/upload/a.bin'));
    t.equal(r.status, status, `${what}: status`);
    t.match(r.headers['content-type'], /^application\/json/, `${what}: JSON`);
    t.equal(errorCode(r.body.toString('utf8')), code, `${what}: ${r.body.toString('utf8').slice(0, 120)}`);
  }
});
