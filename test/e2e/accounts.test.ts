// Accounts against a real tracker and node: register, sign in with a session
// cookie (HttpOnly, SameSite=Lax) or an API token, who am I, expiry and
// revocation, the CSRF rule on cookie-signed writes, the sign-in guard, and
// premium keys. One small cluster; waits are on conditions, never on time.
import t from 'tap';
import type { AccountInfo, TokenCreated, TokenInfo, UserInfo } from '../../common/protocol/accounts.js';
import { useCluster } from '../helpers/cluster.js';
import { errorCode, http, type HttpResult } from '../helpers/http.js';
import { waitFor } from '../helpers/proc.js';

const SESSION_TTL_S = 3;
const c = await useCluster(t, {
  nodes: [{ zone: 'a' }],
  trackerArgs: [
    ...['--session-ttl', String(SESSION_TTL_S), '--login-failures-per-account', '3', '--login-window', '600'],
    // Small tier limits, so that small files show them: anonymous 40 kB, free 60 kB uploads; non-premium downloads 60 kB.
    ...['--upload-limit-anonymous', '40000', '--upload-limit-free', '60000', '--download-limit-free', '60000'],
  ],
});
const base = c.trackerUrl;

interface Call {
  method?: string;
  body?: unknown;
  cookie?: string;
  token?: string;
  headers?: Record<string, string>;
}

async function call(path: string, o: Call = {}): Promise<HttpResult & { json: unknown }> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.cookie !== undefined) headers.cookie = o.cookie;
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  const r = await http(base + path, { method: o.method ?? (o.body === undefined ? 'GET' : 'POST'), headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  let json: unknown;
  try {
    json = JSON.parse(r.text);
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

/** The session cookie's name=value from a Set-Cookie header. */
const cookieOf = (r: HttpResult) => (r.headers['set-cookie'] ?? '').split(';')[0]!;

await t.test('register, sign in with a cookie, who am I, sign out', async (t) => {
  const reg = await call('/api/account/register', { body: { name: 'alice', password: 'correct horse' } });
  t.equal(reg.status, 201, reg.text);
  t.match(reg.json, { name: 'alice', tier: 'free', usedBytes: 0 });
  t.equal((await call('/api/account/register', { body: { name: 'alice', password: 'another one' } })).status, 409, 'the name is taken');
  const bad = await call('/api/account/register', { body: { name: 'A!', password: 'x' } });
  t.equal(bad.status, 400);
  t.equal(errorCode(bad.text), 'ACCOUNT_INVALID');

  t.match((await call('/api/account')).json, { tier: 'anonymous' }, 'no credential: anonymous');
  const wrong = await call('/api/account/login', { body: { name: 'alice', password: 'wrong horse' } });
  t.equal(wrong.status, 401);
  t.equal(errorCode(wrong.text), 'LOGIN_FAILED');
  const unknown = await call('/api/account/login', { body: { name: 'nobody', password: 'wrong horse' } });
  t.equal(errorCode(unknown.text), 'LOGIN_FAILED', 'an unknown name answers as a wrong password');

  const login = await call('/api/account/login', { body: { name: 'alice', password: 'correct horse' } });
  t.equal(login.status, 200, login.text);
  const setCookie = login.headers['set-cookie'] ?? '';
  t.match(setCookie, /^hoard_session=[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}; /);
  t.match(setCookie, /HttpOnly/);
  t.match(setCookie, /SameSite=Lax/);
  t.notMatch(setCookie, /Secure/, 'not Secure over plain http');
  const cookie = cookieOf(login);
  const me = await call('/api/account', { cookie });
  t.match(me.json, { name: 'alice', tier: 'free', via: 'session' });

  const out = await call('/api/account/logout', { method: 'POST', cookie, headers: { origin: base } });
  t.equal(out.status, 204);
  t.match(out.headers['set-cookie'], /Max-Age=0/);
  t.match((await call('/api/account', { cookie })).json, { tier: 'anonymous' }, 'the ended session signs nobody in');
});

await t.test('state-changing requests signed in by cookie need the own Origin or X-Hoard-Csrf', async (t) => {
  const cookie = cookieOf(await call('/api/account/login', { body: { name: 'alice', password: 'correct horse' } }));
  const cross = await call('/api/account/tokens', { body: { name: 'x' }, cookie, headers: { origin: 'https://evil.example' } });
  t.equal(cross.status, 403);
  t.equal(errorCode(cross.text), 'CSRF_REFUSED');
  const none = await call('/api/account/tokens', { body: { name: 'x' }, cookie });
  t.equal(errorCode(none.text), 'CSRF_REFUSED', 'no Origin and no header');
  t.same((await call('/api/account/tokens', { cookie })).json, [], 'nothing was created');
  t.equal((await call('/api/account/tokens', { body: { name: 'page' }, cookie, headers: { origin: base } })).status, 201, 'own Origin');
  t.equal((await call('/api/account/tokens', { body: { name: 'script' }, cookie, headers: { 'x-hoard-csrf': '1' } })).status, 201, 'custom header');
  t.equal((await call('/api/account', { cookie, headers: { origin: 'https://evil.example' } })).status, 200, 'reads are not refused');
});

await t.test('API tokens: created, listed, used as Bearer, revoked; a bad token is refused, not made anonymous', async (t) => {
  const r = await call('/api/account/login', { body: { name: 'alice', password: 'correct horse', token: 'laptop' } });
  t.equal(r.status, 200, r.text);
  t.equal(r.headers['set-cookie'], undefined, 'a token sign-in sets no cookie');
  const tok = r.json as TokenCreated;
  t.match(tok.token, /^hoard_/);
  t.match((await call('/api/account', { token: tok.token })).json, { name: 'alice', via: 'token' });
  const list = (await call('/api/account/tokens', { token: tok.token })).json as TokenInfo[];
  t.ok(list.some((x) => x.id === tok.id && x.name === 'laptop'));
  t.notOk(JSON.stringify(list).includes(tok.token), 'the list never shows a token');

  const other = (await call('/api/account/tokens', { token: tok.token, body: { name: 'ci' } })).json as TokenCreated;
  t.equal((await call(`/api/account/tokens/${other.id}`, { method: 'DELETE', token: tok.token })).status, 204);
  const revoked = await call('/api/account', { token: other.token });
  t.equal(revoked.status, 401);
  t.equal(errorCode(revoked.text), 'CREDENTIAL_INVALID');
  t.equal((await call(`/api/account/tokens/${other.id}`, { method: 'DELETE', token: tok.token })).status, 404, 'revoked twice');
  const forged = await call('/api/account', { token: `${tok.token.slice(0, -3)}AAA` });
  t.equal(errorCode(forged.text), 'CREDENTIAL_INVALID', 'a token with a wrong secret');

  t.equal((await call('/api/account/logout', { method: 'POST', token: tok.token })).status, 204, 'logout with a token revokes it');
  t.equal((await call('/api/account', { token: tok.token })).status, 401);
});

await t.test('tokens and sessions expire', async (t) => {
  const tok = (await call('/api/account/login', { body: { name: 'alice', password: 'correct horse', token: 'short' } })).json as TokenCreated;
  const short = (await call('/api/account/tokens', { token: tok.token, body: { name: 'brief', ttl: 1 } })).json as TokenCreated;
  t.equal((await call('/api/account', { token: short.token })).status, 200, 'works at first');
  await waitFor('the one-second token to expire', async () => (await call('/api/account', { token: short.token })).status === 401, 20_000);
  t.pass('expired token refused');

  const cookie = cookieOf(await call('/api/account/login', { body: { name: 'alice', password: 'correct horse' } }));
  t.match((await call('/api/account', { cookie })).json, { name: 'alice' });
  await waitFor('the session to expire', async () => ((await call('/api/account', { cookie })).json as AccountInfo).tier === 'anonymous', 30_000);
  t.pass(`session gone after its ${SESSION_TTL_S} s`);
});

await t.test('sign-in guard: failures per account get 429 with Retry-After, even with the right password', async (t) => {
  await call('/api/account/register', { body: { name: 'bob', password: 'bob password' } });
  for (let i = 0; i < 3; i++) t.equal((await call('/api/account/login', { body: { name: 'bob', password: `guess ${i}x` } })).status, 401);
  const r = await call('/api/account/login', { body: { name: 'bob', password: 'bob password' } });
  t.equal(r.status, 429, r.text);
  t.equal(errorCode(r.text), 'LOGIN_THROTTLED');
  t.ok(Number(r.headers['retry-after']) > 0, `Retry-After ${r.headers['retry-after']}`);
  t.equal((await call('/api/account/login', { body: { name: 'alice', password: 'correct horse' } })).status, 200, 'other accounts sign in');
});

await t.test('premium keys: created by the admin, redeemed once, premium shown; admin users list, show, set-tier, disable, delete', async (t) => {
  const { keys } = await c.api<{ keys: string[] }>('POST', '/internal/admin/keys', { count: 2, days: 30 });
  t.equal(keys.length, 2);
  const tok = ((await call('/api/account/login', { body: { name: 'alice', password: 'correct horse', token: 'keys' } })).json as TokenCreated).token;
  const r = await call('/api/account/redeem', { token: tok, body: { key: keys[0] } });
  t.equal(r.status, 200, r.text);
  const info = r.json as AccountInfo;
  t.equal(info.tier, 'premium');
  t.ok(Date.parse(info.premiumUntil!) > Date.now() + 29 * 86_400_000);
  const again = await call('/api/account/redeem', { token: tok, body: { key: keys[0] } });
  t.equal(again.status, 409);
  t.equal(errorCode(again.text), 'PREMIUM_KEY_USED');
  t.equal(errorCode((await call('/api/account/redeem', { token: tok, body: { key: 'hpk_nonsense' } })).text), 'PREMIUM_KEY_INVALID');
  t.equal((await call('/api/account/redeem', { body: { key: keys[1] } })).status, 401, 'anonymous callers cannot redeem');

  const users = await c.api<UserInfo[]>('GET', '/internal/admin/users');
  t.same(users.map((u) => u.name).sort(), ['alice', 'bob']);
  const shown = await c.api<UserInfo>('GET', '/internal/admin/users/alice');
  t.match(shown, { name: 'alice', tier: 'premium', accountTier: 'free', disabled: false, usedBytes: 0 });
  t.match(await c.api<UserInfo>('PATCH', '/internal/admin/users/bob', { tier: 'premium', days: 3 }), { tier: 'premium' });
  t.match(await c.api<UserInfo>('PATCH', '/internal/admin/users/bob', { tier: 'free' }), { tier: 'free' });
  t.match(await c.api<UserInfo>('PATCH', '/internal/admin/users/alice', { disabled: true }), { disabled: true, tokens: 0, sessions: 0 });
  const off = await call('/api/account', { token: tok });
  t.equal(off.status, 401, 'a disabled account\'s tokens stop working');
  await c.api('PATCH', '/internal/admin/users/alice', { disabled: false });
  const dis = await call('/api/account/login', { body: { name: 'alice', password: 'correct horse' } });
  t.equal(dis.status, 200, 'enabled again');
  await c.api('DELETE', '/internal/admin/users/bob');
  t.equal((await call('/api/account/login', { body: { name: 'bob', password: 'bob password' } })).status, 429, 'still throttled; then unknown');
  t.same((await c.api<UserInfo[]>('GET', '/internal/admin/users')).map((u) => u.name), ['alice']);
});

await t.test('hoard login saves a 0600 token; whoami, put as the account, redeem, logout; hoard-admin users and keys', async (t) => {
  const { mkdtemp, rm, stat, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { BIN } = await import('../helpers/cluster.js');
  const { run, describeRun } = await import('../helpers/proc.js');
  const dir = await mkdtemp(join(tmpdir(), 'hoard-login-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, HOARD_TRACKER: base, HOARD_CONFIG_DIR: join(dir, 'config'), HOARD_LOG_LEVEL: 'warn' };
  delete env.HOARD_TOKEN;
  const hoard = (args: string[], input?: string) => run(process.execPath, [BIN.client, ...args], { env, input, timeoutMs: 60_000 });

  const admin = (args: string[], input?: string) =>
    run(process.execPath, [BIN.admin, ...args], { env: { ...process.env, HOARD_TRACKER: base, HOARD_SECRET: c.secret, HOARD_LOG_LEVEL: 'warn' }, input, timeoutMs: 30_000 });
  const nopw = await admin(['users', 'create', 'carol'], '');
  t.not(nopw.code, 0, 'users create without a password on standard input fails');
  const mk = await admin(['users', 'create', 'carol'], 'carol password\n');
  t.equal(mk.code, 0, describeRun(mk));
  t.match(mk.stdout, /name:\s+carol/);

  t.equal((await hoard(['whoami'])).stdout.trim(), 'anonymous');
  const login = await hoard(['login', '--name', 'carol'], 'carol password\n');
  t.equal(login.code, 0, describeRun(login));
  const file = join(dir, 'config', 'token.json');
  t.equal((await stat(file)).mode & 0o777, 0o600, 'token file mode 0600');
  t.equal((await stat(join(dir, 'config'))).mode & 0o777, 0o700, 'its folder 0700');
  t.match((await hoard(['whoami'])).stdout, /^carol \(free\), 0 B stored/);
  t.equal((await hoard(['login', '--name', 'carol'], 'wrong password\n')).code, 1, 'a wrong password fails');

  const payload = join(dir, 'carol.bin');
  await writeFile(payload, Buffer.alloc(50_000, 7));
  const put = await hoard(['put', payload]);
  t.equal(put.code, 0, describeRun(put));
  // The link is carol's: her usage moves by its size.
  t.match(await c.admin<UserInfo>(['users', 'show', 'carol']), { name: 'carol', usedBytes: 50_000, tokens: 1 });
  const get = await hoard(['get', put.stdout.trim(), '-o', join(dir, 'back.bin')]);
  t.equal(get.code, 0, describeRun(get));

  const keys = await admin(['keys', 'create', '--days', '10', '--count', '2']);
  t.equal(keys.code, 0, describeRun(keys));
  const lines = keys.stdout.trim().split('\n');
  t.equal(lines.length, 2);
  const redeem = await hoard(['redeem', lines[0]!]);
  t.equal(redeem.code, 0, describeRun(redeem));
  t.match((await hoard(['whoami'])).stdout, /^carol \(premium until /);
  t.equal((await hoard(['redeem', lines[0]!])).code, 1, 'a used key');

  const list = await c.admin<UserInfo[]>(['users', 'list']);
  t.ok(list.some((u) => u.name === 'carol' && u.tier === 'premium'));
  t.match(await c.admin<UserInfo>(['users', 'set-tier', 'carol', 'free']), { tier: 'free' });
  t.match(await c.admin<UserInfo>(['users', 'set-tier', 'carol', 'premium', '--days', '2']), { tier: 'premium' });
  t.match(await c.admin<UserInfo>(['users', 'disable', 'carol']), { disabled: true });
  t.equal((await hoard(['whoami'])).code, 1, 'a disabled account\'s token is refused');
  t.match(await c.admin<UserInfo>(['users', 'enable', 'carol']), { disabled: false });

  const stale = await hoard(['put', payload]);
  t.equal(stale.code, 1, 'put sends the saved token: a revoked one is refused');
  t.match(stale.stderr, /CREDENTIAL_INVALID/);
  const relog = await hoard(['login', '--name', 'carol'], 'carol password\n');
  t.equal(relog.code, 0, describeRun(relog));
  const out = await hoard(['logout']);
  t.equal(out.code, 0, describeRun(out));
  await t.rejects(stat(file), 'the token file is gone');
  t.equal((await hoard(['whoami'])).stdout.trim(), 'anonymous');
  await c.admin(['users', 'delete', 'carol']);
  t.notOk((await c.admin<UserInfo[]>(['users', 'list'])).some((u) => u.name === 'carol'));
});

await t.test('limits per tier: over-size uploads refused before any byte with nothing kept; big files for premium only', async (t) => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { blobIdsOnDisk, listDir } = await import('../helpers/files.js');
  const { curl } = await import('../helpers/http.js');
  const dir = await mkdtemp(join(tmpdir(), 'hoard-limits-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const big = join(dir, 'big.bin');
  await writeFile(big, Buffer.alloc(70_000, 3));
  const node = c.nodes[0]!;
  const before = { blobs: await blobIdsOnDisk(node.dataDir), links: (await c.links()).length };

  const anon = await curl(['-s', '-o', '-', '-w', '\n%{http_code}', '-L', '-T', big, `${base}/upload/big.bin`]);
  const [body, status] = [anon.stdout.slice(0, anon.stdout.lastIndexOf('\n')), anon.stdout.slice(anon.stdout.lastIndexOf('\n') + 1)];
  t.equal(status, '413', body);
  t.equal(errorCode(body), 'UPLOAD_TOO_LARGE');
  t.match(body, /anonymous uploads are limited to 39\.1 KiB \(40000 bytes\)/, 'the message names the limit');
  const tus = await http(`${base}/files`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '70000' } });
  t.equal(tus.status, 413, 'tus creation too');
  t.equal(errorCode(tus.text), 'UPLOAD_TOO_LARGE');

  const dave = await call('/api/account/register', { body: { name: 'dave', password: 'dave password' } });
  t.equal(dave.status, 201);
  const tok = ((await call('/api/account/login', { body: { name: 'dave', password: 'dave password', token: 'limits' } })).json as TokenCreated).token;
  t.match((await call('/api/account', { token: tok })).json, { tier: 'free', limits: { uploadSize: 60000, downloadSize: 60000 } });
  const free = await http(`${base}/api/uploads`, { method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body: JSON.stringify({ filename: 'big.bin', size: 70_000 }) });
  t.equal(free.status, 413, free.text);
  t.equal(errorCode(free.text), 'UPLOAD_TOO_LARGE');
  t.match(free.text, /free uploads are limited to/);
  await waitFor('data/tmp to be empty', async () => (await listDir(join(node.dataDir, 'tmp'))).length === 0, 5_000).catch(() => undefined);
  t.same(await listDir(join(node.dataDir, 'tmp')), [], 'nothing in the node\'s data/tmp');
  t.same(await blobIdsOnDisk(node.dataDir), before.blobs, 'no blob on the node\'s disk');
  t.equal((await c.links()).length, before.links, 'no link at the tracker');

  await c.api('PATCH', '/internal/admin/users/dave', { tier: 'premium', days: 1 });
  t.match((await call('/api/account', { token: tok })).json, { tier: 'premium', limits: { uploadSize: null, downloadSize: null } });
  const up = await curl(['-s', '-f', '-L', '-H', `authorization: Bearer ${tok}`, '-T', big, `${base}/upload/big.bin`]);
  t.equal(up.code, 0, up.stderr);
  const link = (JSON.parse(up.stdout) as { link: string; id: string }).id;

  const anonGet = await http(`${base}/f/${link}`);
  t.equal(anonGet.status, 403, 'an anonymous download of a 70 kB file');
  t.equal(errorCode(anonGet.text), 'DOWNLOAD_TOO_LARGE');
  t.match(anonGet.text, /files over 58\.6 KiB \(60000 bytes\) need a premium account/);
  const page = await http(`${base}/f/${link}?download=1`, { headers: { accept: 'text/html' } });
  t.equal(page.status, 403, 'the browser gets the refusal as a page');
  t.match(page.text, /need a premium account/);
  t.equal((await http(`${base}/f/${link}`, { headers: { authorization: `Bearer ${tok}` } })).status, 302, 'premium downloads it');
  await c.api('PATCH', '/internal/admin/users/dave', { tier: 'free' });
  t.equal((await http(`${base}/f/${link}`, { headers: { authorization: `Bearer ${tok}` } })).status, 403, 'free again: refused');
});
