import t from 'tap';
import { signClaims, verifyClaims, signUrl, clusterAuth, verifyClusterAuth, bodyDigest, addPipeline, pipelineOf, clusterAuthStream, STREAM_DIGEST, signOwner, verifyOwner, signUploadUrl, verifyUploadUrl } from '../../../common/sign.js';
import { PIPE_PARAM, PIPE_SIG_PARAM } from '../../../common/protocol/pipeline.js';
import { HoardError } from '../../../common/protocol/errors.js';

const secret = 'test-secret-0123456789';
const now = Date.parse('2026-06-01T00:00:00Z');
const exp = now / 1000 + 60;
const claims = { verb: 'GET' as const, resource: 'b'.repeat(64), exp, extra: 'file.bin' };

const code = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof HoardError ? e.code : 'other';
  }
};

t.equal(code(() => verifyClaims(secret, claims, signClaims(secret, claims), now)), undefined, 'valid signature passes');
t.equal(code(() => verifyClaims(secret, claims, null, now)), 'TOKEN_INVALID', 'missing signature');
t.equal(code(() => verifyClaims(secret, { ...claims, resource: 'c'.repeat(64) }, signClaims(secret, claims), now)), 'TOKEN_INVALID', 'other blob');
t.equal(code(() => verifyClaims(secret, { ...claims, extra: 'evil.exe' }, signClaims(secret, claims), now)), 'TOKEN_INVALID', 'altered name');
t.equal(code(() => verifyClaims(secret, { ...claims, verb: 'PUT' }, signClaims(secret, claims), now)), 'TOKEN_INVALID', 'other verb');
t.equal(code(() => verifyClaims(secret, { ...claims, exp: exp + 1 }, signClaims(secret, claims), now)), 'TOKEN_INVALID', 'extended expiry');
t.equal(code(() => verifyClaims('another-secret-0123456', claims, signClaims(secret, claims), now)), 'TOKEN_INVALID', 'other secret');
t.equal(code(() => verifyClaims(secret, claims, signClaims(secret, claims), now + 61_000)), 'TOKEN_EXPIRED', 'expired');

const u = new URL(signUrl(secret, 'http://n:1/blob/' + claims.resource, claims));
t.equal(u.searchParams.get('exp'), String(exp));
t.equal(u.searchParams.get('name'), 'file.bin');
t.equal(u.searchParams.get('sig'), signClaims(secret, claims));

const hdr = clusterAuth(secret, 'POST', '/internal/commit', now);
t.equal(code(() => verifyClusterAuth(secret, 'POST', '/internal/commit', hdr, now)), undefined, 'cluster credential passes');
t.equal(code(() => verifyClusterAuth(secret, 'POST', '/internal/commit', undefined, now)), 'UNAUTHORIZED', 'missing');
t.equal(code(() => verifyClusterAuth(secret, 'GET', '/internal/commit', hdr, now)), 'UNAUTHORIZED', 'other method');
t.equal(code(() => verifyClusterAuth(secret, 'POST', '/internal/admin/stats', hdr, now)), 'UNAUTHORIZED', 'other path');
t.equal(code(() => verifyClusterAuth('another-secret-0123456', 'POST', '/internal/commit', hdr, now)), 'UNAUTHORIZED', 'other secret');
t.equal(code(() => verifyClusterAuth(secret, 'POST', '/internal/commit', hdr, now + 301_000)), 'UNAUTHORIZED', 'stale');
t.equal(code(() => verifyClusterAuth(secret, 'POST', '/internal/commit', 'garbage', now)), 'UNAUTHORIZED', 'garbage');
{
  // The MAC covers the time as decimal digits: any other spelling of the same number is refused.
  const [ts0, digest0, mac0] = hdr.split('.') as [string, string, string];
  for (const spelled of [`${ts0}e0`, `0x${Number(ts0).toString(16)}`, `+${ts0}`, ` ${ts0}`, `0${ts0}`, `${Number(ts0) / 10}e1`]) {
    t.equal(code(() => verifyClusterAuth(secret, 'POST', '/internal/commit', `${spelled}.${digest0}.${mac0}`, now)), 'UNAUTHORIZED', `time spelled ${JSON.stringify(spelled)}`);
  }
}

const withBody = clusterAuth(secret, 'POST', '/internal/commit', now, '{"a":1}');
t.equal(verifyClusterAuth(secret, 'POST', '/internal/commit', withBody, now), bodyDigest('{"a":1}'), 'credential vouches for its body digest');
const [ts, , m] = withBody.split('.');
t.equal(code(() => verifyClusterAuth(secret, 'POST', '/internal/commit', `${ts}.${bodyDigest('{"a":2}')}.${m}`, now)), 'UNAUTHORIZED', 'digest swapped for another body');

// The write pipeline's followers ride in a PUT URL with a signature of their own, bound to the URL's.
const putClaims = { verb: 'PUT' as const, resource: 'a.bin', exp, extra: '' };
const put = signUrl(secret, 'http://n:1/upload/a.bin', putClaims);
const followers = [{ id: 'node-b', url: 'http://b:2' }];
const piped = new URL(addPipeline(secret, put, followers));
t.same(pipelineOf(secret, piped), followers, 'followers read back');
t.same(pipelineOf(secret, new URL(put)), [], 'a URL without a pipeline has none');
const swapped = new URL(piped);
swapped.searchParams.set(PIPE_PARAM, JSON.stringify([{ id: 'node-x', url: 'http://evil:2' }]));
t.equal(code(() => pipelineOf(secret, swapped)), 'TOKEN_INVALID', 'followers changed');
const unsigned = new URL(piped);
unsigned.searchParams.delete(PIPE_SIG_PARAM);
t.equal(code(() => pipelineOf(secret, unsigned)), 'TOKEN_INVALID', 'signature missing');
const other = new URL(signUrl(secret, 'http://n:1/upload/b.bin', { ...putClaims, resource: 'b.bin' }));
other.searchParams.set(PIPE_PARAM, piped.searchParams.get(PIPE_PARAM)!);
other.searchParams.set(PIPE_SIG_PARAM, piped.searchParams.get(PIPE_SIG_PARAM)!);
t.equal(code(() => pipelineOf(secret, other)), 'TOKEN_INVALID', 'moved to another URL');
const stream = clusterAuthStream(secret, 'PUT', '/internal/pipeline/k', now);
t.equal(verifyClusterAuth(secret, 'PUT', '/internal/pipeline/k', stream, now), STREAM_DIGEST, 'a stream credential vouches for no digest');

// A download URL's policy claims are signed with the rest: none can be changed or dropped.
{
  const policy = { tier: 'free' as const, rate: 100_000, lease: 'L'.repeat(22), happy: { start: 1_000_000, end: 2_000_000 } };
  const withPolicy = { ...claims, link: 'k'.repeat(22), policy };
  const sig = signClaims(secret, withPolicy);
  t.equal(code(() => verifyClaims(secret, withPolicy, sig, now)), undefined, 'policy claims verify');
  t.equal(code(() => verifyClaims(secret, { ...withPolicy, policy: { ...policy, tier: 'premium' } }, sig, now)), 'TOKEN_INVALID', 'tier raised');
  t.equal(code(() => verifyClaims(secret, { ...withPolicy, policy: { ...policy, rate: 0 } }, sig, now)), 'TOKEN_INVALID', 'rate lifted');
  t.equal(code(() => verifyClaims(secret, { ...withPolicy, policy: { ...policy, lease: 'M'.repeat(22) } }, sig, now)), 'TOKEN_INVALID', 'lease swapped');
  t.equal(code(() => verifyClaims(secret, { ...withPolicy, policy: { ...policy, happy: { start: 0, end: 9_000_000 } } }, sig, now)), 'TOKEN_INVALID', 'happy window widened');
  t.equal(code(() => verifyClaims(secret, { ...withPolicy, policy: undefined }, sig, now)), 'TOKEN_INVALID', 'claims dropped');
  const u = new URL(signUrl(secret, 'http://n:1/blob/' + claims.resource, withPolicy));
  t.same([u.searchParams.get('tier'), u.searchParams.get('rate'), u.searchParams.get('lease'), u.searchParams.get('hh')], ['free', '100000', 'L'.repeat(22), '1000-2000'], 'the claims in the query');
}

t.test('an upload\'s owner: signed for one upload id, bound into the PUT URL', async (t) => {
  const S = 'test-secret-0123456789';
  const uid = 'AAAAAAAAAAAAAAAAAAAAAA';
  const other = 'BBBBBBBBBBBBBBBBBBBBBB';
  const token = signOwner(S, uid, { user: 'user_1', quota: 5000 });
  t.same(verifyOwner(S, uid, token), { user: 'user_1', quota: 5000 });
  t.same(verifyOwner(S, uid, signOwner(S, uid, { user: 'u2' })), { user: 'u2' }, 'no quota');
  const code = (fn: () => unknown) => {
    try {
      fn();
      return 'ok';
    } catch (err) {
      return (err as HoardError).code;
    }
  };
  t.equal(code(() => verifyOwner(S, other, token)), 'TOKEN_INVALID', 'another upload\'s owner');
  t.equal(code(() => verifyOwner(S, uid, token.replace('user_1', 'user_2'))), 'TOKEN_INVALID', 'another account');
  t.equal(code(() => verifyOwner(S, uid, token.replace('.5000.', '.9999999.'))), 'TOKEN_INVALID', 'a larger quota');
  t.equal(code(() => verifyOwner(S, uid, token.replace('.5000.', '..'))), 'TOKEN_INVALID', 'the quota dropped');
  t.equal(code(() => verifyOwner('another-secret-012345', uid, token)), 'TOKEN_INVALID', 'another cluster');

  const exp = Math.floor(Date.now() / 1000) + 60;
  const url = new URL(signUploadUrl(S, 'http://n/upload/a.bin', 'a.bin', exp, { uploadId: uid, node: 'n1', size: undefined, owner: token, max: 1000 }));
  t.same(verifyUploadUrl(S, url, 'a.bin'), { uploadId: uid, node: 'n1', size: undefined, owner: token, max: 1000 });
  for (const [what, edit] of [
    ['owner dropped', (u: URL) => u.searchParams.delete('owner')],
    ['cap dropped', (u: URL) => u.searchParams.delete('max')],
    ['cap raised', (u: URL) => u.searchParams.set('max', '2000')],
    ['owner of another account', (u: URL) => u.searchParams.set('owner', signOwner(S, uid, { user: 'someone' }))],
  ] as const) {
    const u = new URL(url);
    edit(u);
    t.equal(code(() => verifyUploadUrl(S, u, 'a.bin')), 'TOKEN_INVALID', what);
  }
  const plain = new URL(signUploadUrl(S, 'http://n/upload/a.bin', 'a.bin', exp, { uploadId: uid, node: 'n1', size: 10 }));
  t.same(verifyUploadUrl(S, plain, 'a.bin'), { uploadId: uid, node: 'n1', size: 10 }, 'an anonymous URL has neither');
  plain.searchParams.set('owner', token);
  t.equal(code(() => verifyUploadUrl(S, plain, 'a.bin')), 'TOKEN_INVALID', 'an owner added to an anonymous URL');
});
