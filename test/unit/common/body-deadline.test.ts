// Slow bodies: a client sending its body one byte at a time keeps no
// connection past the whole-body deadline on either daemon (each byte used
// to reset the idle timer), gets a JSON 408 when no answer has started, and
// its going away is logged as a client's doing, not as an internal error.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { composeTracker } from '../../../tracker/compose.js';
import { trackerSpec, type TrackerConfig } from '../../../tracker/config.js';
import { AUTH_HEADER, TUS_NODE } from '../../../common/protocol/routes.js';
import { clusterAuth } from '../../../common/sign.js';
import { RawHttp, errorCode } from '../../helpers/http.js';
import { SECRET, startNode } from '../node/rig.js';

const DEADLINE_MS = 1_000;
/** Far past the deadline, far short of the 60 s idle timeout the trickle kept resetting. */
const CLOSED_WITHIN_MS = 8_000;

/** Log lines at error level or above, from every server in this file. */
const errors: string[] = [];
const requestsLogged: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      if ((JSON.parse(line) as { level: number }).level >= 50) errors.push(line);
      else requestsLogged.push(line);
    }
    done();
  },
});
const log = pino({ level: 'info' }, sink);

const defaults = Object.fromEntries(Object.entries(trackerSpec).map(([k, f]) => [k, f.default])) as unknown as TrackerConfig;
const tracker = await composeTracker(Object.freeze({ ...defaults, data: t.testdir(), port: 0, secret: SECRET, bodyTimeout: DEADLINE_MS }), { log });
const trackerPort = await tracker.listen();
t.teardown(() => tracker.close());

interface Trickled {
  status: number | undefined;
  code: string | undefined;
  closedAfterMs: number | undefined;
  bytesSent: number;
}

/** Sends `head`, then one byte of a `length`-byte body every 150 ms until the server closes or CLOSED_WITHIN_MS passes. */
async function trickle(port: number, head: string, length: number): Promise<Trickled> {
  const c = await RawHttp.connect(port);
  const started = Date.now();
  await c.write(head);
  let sent = 0;
  while (!c.closed && sent < length && Date.now() - started < CLOSED_WITHIN_MS) {
    await c.write('x');
    sent++;
    await new Promise((r) => setTimeout(r, 150));
  }
  const closed = await c.waitClosed(Math.max(0, CLOSED_WITHIN_MS - (Date.now() - started)));
  const r = c.responses.find((x) => x.status >= 200);
  c.destroy();
  return { status: r?.status, code: r ? errorCode(r.body.toString('utf8')) : undefined, closedAfterMs: closed ? Date.now() - started : undefined, bytesSent: sent };
}

t.test('tracker: a JSON body trickled in gets 408 and its connection closed at the deadline', async (t) => {
  const r = await trickle(trackerPort, 'POST /api/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n', 200);
  t.equal(r.status, 408);
  t.equal(r.code, 'REQUEST_TIMEOUT');
  t.ok(r.closedAfterMs !== undefined, `closed after ${r.closedAfterMs} ms, ${r.bytesSent} bytes sent`);
});

t.test('node: a cluster call trickled in gets 408; an unread body trickled after the answer is cut too', async (t) => {
  const { port } = await startNode(t, { flags: { bodyTimeout: DEADLINE_MS }, log });
  const body = JSON.stringify({ uploadId: 'A'.repeat(22), filename: 'a.bin', length: 5 });
  const auth = clusterAuth(SECRET, 'POST', TUS_NODE.create, Date.now(), body);
  const internal = await trickle(port, `POST ${TUS_NODE.create} HTTP/1.1\r\nHost: x\r\n${AUTH_HEADER}: ${auth}\r\nContent-Length: ${body.length}\r\n\r\n`, body.length);
  t.equal(internal.status, 408);
  t.equal(internal.code, 'REQUEST_TIMEOUT');
  t.ok(internal.closedAfterMs !== undefined, `closed after ${internal.closedAfterMs} ms`);

  // Answered at once (no such route); the body the server does not read must not keep the connection either.
  const unread = await trickle(port, 'POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n', 200);
  t.equal(unread.status, 404);
  t.ok(unread.closedAfterMs !== undefined, `closed after ${unread.closedAfterMs} ms`);
});

t.test('clients cut off, or going away mid-body, are not logged as internal errors', async (t) => {
  const c = await RawHttp.connect(trackerPort);
  await c.write('POST /api/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"filename":');
  await new Promise((r) => setTimeout(r, 100));
  c.destroy();
  // The request's log line comes when the server has seen the close.
  const seen = Date.now();
  while (Date.now() - seen < 2_000 && !requestsLogged.some((l) => l.includes('/api/uploads') && l.includes('"aborted":true'))) await new Promise((r) => setTimeout(r, 20));
  t.same(errors, []);
});
