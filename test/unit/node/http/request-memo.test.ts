import t from 'tap';
import { HoardError } from '../../../../common/protocol/errors.js';
import { signClaims, type UrlClaims } from '../../../../common/sign.js';
import { attachmentHeader } from '../../../../node/http/filename.js';
import { attachmentHeaderRemembered, memoSizes, verifyClaimsRemembered } from '../../../../node/http/request-memo.js';

const SECRET = 'memo-secret';
const now = 1_800_000_000_000;
const claims: UrlClaims = { verb: 'GET', resource: 'a'.repeat(64), exp: now / 1000 + 60, extra: 'report.pdf' };
const code = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof HoardError ? err.code : String(err);
  }
};

t.test('a good URL is checked once, then remembered', async (t) => {
  const sig = signClaims(SECRET, claims);
  const before = memoSizes().urls;
  t.equal(code(() => verifyClaimsRemembered(SECRET, claims, sig, now)), undefined);
  t.equal(memoSizes().urls, before + 1);
  t.equal(code(() => verifyClaimsRemembered(SECRET, claims, sig, now)), undefined);
  t.equal(memoSizes().urls, before + 1, 'no second entry');
});

t.test('what was remembered does not vouch for anything else', async (t) => {
  const sig = signClaims(SECRET, claims);
  verifyClaimsRemembered(SECRET, claims, sig, now);
  t.equal(code(() => verifyClaimsRemembered(SECRET, { ...claims, extra: 'other.pdf' }, sig, now)), 'TOKEN_INVALID', 'another name');
  t.equal(code(() => verifyClaimsRemembered(SECRET, { ...claims, resource: 'b'.repeat(64) }, sig, now)), 'TOKEN_INVALID', 'another blob');
  t.equal(code(() => verifyClaimsRemembered(SECRET, { ...claims, exp: claims.exp + 1 }, sig, now)), 'TOKEN_INVALID', 'another expiry');
  t.equal(code(() => verifyClaimsRemembered('other-secret', claims, sig, now)), 'TOKEN_INVALID', 'another secret');
  t.equal(code(() => verifyClaimsRemembered(SECRET, claims, sig.slice(1) + 'A', now)), 'TOKEN_INVALID', 'another signature');
  t.equal(code(() => verifyClaimsRemembered(SECRET, claims, null, now)), 'TOKEN_INVALID', 'no signature');
});

t.test('a remembered URL still expires', async (t) => {
  const sig = signClaims(SECRET, claims);
  verifyClaimsRemembered(SECRET, claims, sig, now);
  t.equal(code(() => verifyClaimsRemembered(SECRET, claims, sig, claims.exp * 1000 + 1)), 'TOKEN_EXPIRED');
});

t.test('bad checks are not remembered', async (t) => {
  const before = memoSizes().urls;
  code(() => verifyClaimsRemembered(SECRET, claims, 'nope', now));
  t.equal(memoSizes().urls, before);
});

t.test('Content-Disposition: the same header as computed afresh', async (t) => {
  for (const name of ['', 'a.txt', 'résumé "final".pdf', '../x']) {
    t.equal(attachmentHeaderRemembered(name, 'c'.repeat(64)), attachmentHeader(name, 'c'.repeat(64)));
    t.equal(attachmentHeaderRemembered(name, 'c'.repeat(64)), attachmentHeader(name, 'c'.repeat(64)), 'remembered');
  }
});
