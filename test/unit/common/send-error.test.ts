// How a failed request is logged: a transient 503 (no node yet, no live copy)
// is a warning without a stack; any other 5xx is an error with one.
import type { ServerResponse } from 'node:http';
import { pino } from 'pino';
import t from 'tap';
import { sendError } from '../../../common/http.js';
import { HoardError } from '../../../common/protocol/errors.js';

function capture() {
  const records: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => records.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, records };
}

/** Enough of a response for sendError: it records the status. */
function response() {
  const r = { status: 0, headersSent: false, writeHead: (s: number) => ((r.status = s), r), end: () => r };
  return r;
}

t.test('a 503 is a warning with no stack, its cause as a message', async (t) => {
  const { log, records } = capture();
  const res = response();
  sendError(res as unknown as ServerResponse, new HoardError('NO_NODE_AVAILABLE', 'no node registered', { cause: new Error('all down') }), log);
  t.equal(res.status, 503);
  t.equal(records.length, 1);
  t.match(records[0], { level: 40, code: 'NO_NODE_AVAILABLE', cause: 'all down', msg: 'no node registered' });
  t.notOk(JSON.stringify(records[0]).includes('stack'), 'no stack');
});

t.test('other 5xx stay errors with their stack; 4xx are not logged', async (t) => {
  const { log, records } = capture();
  sendError(response() as unknown as ServerResponse, new Error('boom'), log);
  sendError(response() as unknown as ServerResponse, new HoardError('LINK_NOT_FOUND'), log);
  t.equal(records.length, 1);
  t.match(records[0], { level: 50, code: 'INTERNAL' });
  t.ok(JSON.stringify(records[0]).includes('stack'), 'the stack is there');
});
