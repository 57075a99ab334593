// The one decision on whether an upload may start, as a table: every upload
// path (PUT /upload, POST /api/uploads, tus creation, a node's commit) asks it.
import t from 'tap';
import { HoardError } from '../../../../common/protocol/errors.js';
import { admitUpload, checkUpload, uploadVerdict, type Uploader } from '../../../../tracker/index/upload-policy.js';

const NO_TIER_LIMITS = { uploadLimitAnonymous: 0, uploadLimitFree: 0, uploadLimitPremium: 0, downloadLimitFree: 0, storageQuotaFree: 0, storageQuotaPremium: 0 };
const limits = { maxUploadSize: 1000, ...NO_TIER_LIMITS };
const anonymous: Uploader = { kind: 'anonymous', tier: 'anonymous' };
const node: Uploader = { kind: 'node' };

t.test('size against the limit', async (t) => {
  const table: Array<[string, Uploader, number | undefined, boolean]> = [
    ['no size declared (a chunked PUT)', anonymous, undefined, true],
    ['empty', anonymous, 0, true],
    ['under the limit', anonymous, 999, true],
    ['exactly the limit', anonymous, 1000, true],
    ['one byte over', anonymous, 1001, false],
    ['far over', anonymous, Number.MAX_SAFE_INTEGER, false],
    ['a node committing within the limit', node, 1000, true],
    ['a node committing over it', node, 1001, false],
  ];
  for (const [what, who, size, ok] of table) {
    const v = uploadVerdict(limits, who, size);
    t.equal(v.ok, ok, what);
    if (!v.ok) {
      t.equal(v.code, 'PAYLOAD_TOO_LARGE', `${what}: code`);
      t.match(v.message, '1000 bytes', `${what}: names the limit`);
    }
  }
});

t.test('checkUpload throws the verdict as a HoardError', async (t) => {
  t.doesNotThrow(() => checkUpload(limits, anonymous, 10));
  t.throws(() => checkUpload(limits, anonymous, 1001), HoardError);
  t.throws(() => checkUpload(limits, anonymous, 1001), { code: 'PAYLOAD_TOO_LARGE' });
  t.doesNotThrow(() => checkUpload({ maxUploadSize: 0, ...NO_TIER_LIMITS }, anonymous, 0), 'a zero limit still lets empty files in');
});

t.test('per tier: the cluster limit first, then the tier\'s; nodes are held to the cluster\'s only', async (t) => {
  const tiers = { maxUploadSize: 10_000, uploadLimitAnonymous: 100, uploadLimitFree: 1000, uploadLimitPremium: 0, downloadLimitFree: 500, storageQuotaFree: 0, storageQuotaPremium: 0 };
  const user = (tier: 'free' | 'premium' | 'admin'): Uploader => ({ kind: 'user', userId: 'u1', tier });
  const table: Array<[string, Uploader, number | undefined, 'ok' | 'UPLOAD_TOO_LARGE' | 'PAYLOAD_TOO_LARGE']> = [
    ['anonymous at its limit', anonymous, 100, 'ok'],
    ['anonymous over its limit', anonymous, 101, 'UPLOAD_TOO_LARGE'],
    ['anonymous, size not declared', anonymous, undefined, 'ok'],
    ['free at its limit', user('free'), 1000, 'ok'],
    ['free over its limit', user('free'), 1001, 'UPLOAD_TOO_LARGE'],
    ['premium without a limit of its own', user('premium'), 10_000, 'ok'],
    ['premium over the cluster limit', user('premium'), 10_001, 'PAYLOAD_TOO_LARGE'],
    ['admin', user('admin'), 10_000, 'ok'],
    ['a node committing past the tier limits', node, 5000, 'ok'],
  ];
  for (const [what, who, size, want] of table) {
    const v = uploadVerdict(tiers, who, size);
    t.equal(v.ok ? 'ok' : v.code, want, what);
    if (!v.ok && v.code === 'UPLOAD_TOO_LARGE') t.match(v.message, /limited to .* bytes\)/, `${what}: names the limit`);
  }
});

t.test('admitUpload: the account and its quota for a signed-in caller, the cap for an undeclared body, the quota before any byte', async (t) => {
  const limits = { maxUploadSize: 10_000, uploadLimitAnonymous: 100, uploadLimitFree: 1000, uploadLimitPremium: 0, downloadLimitFree: 500, storageQuotaFree: 5000, storageQuotaPremium: 0 };
  const used = new Map([['u1', 4500]]);
  const store = { accounts: { usage: async (id: string) => used.get(id) ?? 0 } } as unknown as Parameters<typeof admitUpload>[1];
  const free = { kind: 'user', userId: 'u1', tier: 'free' } as const;
  t.same(await admitUpload(limits, store, { kind: 'anonymous', tier: 'anonymous' }, 50), {}, 'anonymous, declared: nothing to carry');
  t.same(await admitUpload(limits, store, { kind: 'anonymous', tier: 'anonymous' }, undefined), { max: 100 }, 'anonymous, undeclared: the tier\'s cap');
  t.same(await admitUpload(limits, store, free, 500), { owner: { user: 'u1', quota: 5000 } }, 'exactly what is left');
  t.same(await admitUpload(limits, store, free, undefined), { owner: { user: 'u1', quota: 5000 }, max: 1000 });
  t.same(await admitUpload(limits, store, { kind: 'user', userId: 'p1', tier: 'premium' }, 9000), { owner: { user: 'p1' } }, 'premium: no quota by default');
  await t.rejects(admitUpload(limits, store, free, 501), { code: 'QUOTA_EXCEEDED', message: /free accounts may keep/ });
  used.set('u1', 5000);
  await t.rejects(admitUpload(limits, store, free, undefined), { code: 'QUOTA_EXCEEDED' }, 'nothing left: even an undeclared body is refused');
  await t.rejects(admitUpload(limits, store, free, 2000), { code: 'UPLOAD_TOO_LARGE' }, 'the size limit first');
});
