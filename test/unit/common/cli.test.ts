// What the command-line tools share: the tracker address, the one
// "unreachable" error, the error line, byte sizes.
import t from 'tap';
import { CliError, describeError, errorLine, formatBytes, isConnectionError, reaching, TrackerList, trackerUrl, trackerUrls, unreachableError } from '../../../common/cli.js';
import { HoardError, RemoteError } from '../../../common/protocol/errors.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

t.test('trackerUrl: flag, then HOARD_TRACKER, then the default; no trailing slash', async (t) => {
  t.equal(trackerUrl('http://a:1/', {}), 'http://a:1');
  t.equal(trackerUrl(undefined, { HOARD_TRACKER: 'https://b/hoard//' }), 'https://b/hoard');
  t.equal(trackerUrl('http://a:1', { HOARD_TRACKER: 'http://b' }), 'http://a:1', 'the flag wins');
  t.equal(trackerUrl(undefined, {}), 'http://127.0.0.1:8080');
  for (const bad of ['nope', 'ftp://a/']) {
    t.throws(() => trackerUrl(bad, {}), { code: 'BAD_TRACKER_URL' }, bad);
  }
});

t.test('isConnectionError: failing to connect, not an answer', async (t) => {
  t.ok(isConnectionError(refused()));
  t.ok(isConnectionError(Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' })));
  t.notOk(isConnectionError(new RemoteError(503, 'UNAVAILABLE', 'busy')), 'an error answer');
  t.notOk(isConnectionError(new CliError('BAD_RESPONSE', 'x')));
  t.notOk(isConnectionError(new Error('plain')));
  t.notOk(isConnectionError(undefined));
});

t.test('unreachableError names the server and keeps the cause', async (t) => {
  const cause = refused();
  const e = unreachableError('the tracker at http://a:1', cause);
  t.type(e, CliError);
  t.equal(e.code, 'TRACKER_UNREACHABLE');
  t.equal(e.message, 'cannot reach the tracker at http://a:1 (connect ECONNREFUSED 127.0.0.1:1)');
  t.equal(e.cause, cause);
  t.equal(unreachableError('http://n:2', Object.assign(new Error(''), { code: 'ECONNRESET' })).message, 'cannot reach http://n:2 (ECONNRESET)', 'the code when there is no message');
});

t.test('reaching: an answer passes, an error answer passes as it is, no connection becomes TRACKER_UNREACHABLE', async (t) => {
  t.equal(await reaching('x', async () => 42), 42);
  const answer = new RemoteError(404, 'LINK_NOT_FOUND', 'no such link');
  t.equal(await reaching('x', () => Promise.reject(answer)).catch((e: unknown) => e), answer);
  const own = new Error('a bug');
  t.equal(await reaching('x', () => Promise.reject(own)).catch((e: unknown) => e), own);
  const e = await reaching('the tracker at http://a:1', () => Promise.reject(refused())).catch((e: unknown) => e);
  t.type(e, CliError);
  t.equal((e as CliError).code, 'TRACKER_UNREACHABLE');
  t.match((e as CliError).message, /^cannot reach the tracker at http:\/\/a:1 \(/);
});

t.test('errorLine: tool, code, what, message', async (t) => {
  t.equal(errorLine('hoard', new CliError('NOT_A_FILE', 'x is not a regular file')), 'hoard: NOT_A_FILE: x is not a regular file');
  t.equal(errorLine('hoard', new RemoteError(404, 'LINK_NOT_FOUND', 'no such link'), 'f.bin'), 'hoard: LINK_NOT_FOUND: f.bin: no such link (HTTP 404)');
  t.equal(errorLine('hoard', Object.assign(new Error("ENOENT: no such file or directory, stat 'x'"), { code: 'ENOENT' })), "hoard: ENOENT: no such file or directory, stat 'x'");
  t.equal(errorLine('hoard-admin', new Error('boom')), 'hoard-admin: ERROR: boom');
  t.same(describeError(new HoardError('BAD_REQUEST', 'nope')), { code: 'BAD_REQUEST', message: 'nope' });
  t.same(describeError(new AggregateError([refused()], 'x')), { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'the first of several connection errors');
  t.same(describeError('text'), { code: 'ERROR', message: 'text' });
});

t.test('formatBytes', async (t) => {
  t.equal(formatBytes(0), '0 B');
  t.equal(formatBytes(1023), '1023 B');
  t.equal(formatBytes(1536), '1.50 KiB');
  t.equal(formatBytes(50 * 1024 * 1024), '50.0 MiB');
  t.equal(formatBytes(300 * 1024 ** 3), '300 GiB');
  t.equal(formatBytes(NaN), '?');
});

t.test('trackerUrls and TrackerList: the next tracker when one cannot be reached, the one that answered kept', async (t) => {
  t.same(trackerUrls('http://a:1/, http://b:2,http://a:1', {}), ['http://a:1', 'http://b:2'], 'comma-separated, trimmed, once each');
  t.same(trackerUrls(undefined, { HOARD_TRACKER: 'http://c:3' }), ['http://c:3']);
  t.throws(() => trackerUrls('http://a:1,nope', {}), { code: 'BAD_TRACKER_URL' });
  const list = new TrackerList(['http://a:1', 'http://b:2']);
  const asked: string[] = [];
  const out = await list.call(async (base) => {
    asked.push(base);
    if (base === 'http://a:1') throw refused();
    return base;
  });
  t.equal(out, 'http://b:2');
  t.equal(list.current, 'http://b:2', 'the one that answered goes first next time');
  await list.call(async (base) => asked.push(base));
  t.same(asked, ['http://a:1', 'http://b:2', 'http://b:2']);
  const answer = new RemoteError(404, 'LINK_NOT_FOUND', 'No such link');
  await t.rejects(list.call(async () => Promise.reject(answer)), answer, 'an answer is not a reason to ask another tracker');
  const none = new TrackerList(['http://a:1', 'http://b:2']);
  await t.rejects(none.call(async () => Promise.reject(refused())), { code: 'TRACKER_UNREACHABLE' }, 'none answers: the last failure');
});
