// The limits of each tier, as tables: which limits a tier has with the
// defaults and with 0 (none), and the download size rule.
import t from 'tap';
import { downloadSizeVerdict, formatBytes, limitsOf, storageVerdict, uploadSizeVerdict } from '../../../../tracker/accounts/limits.js';
import type { Tier } from '../../../../common/protocol/tiers.js';

const GiB = 1024 ** 3;
const defaults = { uploadLimitAnonymous: GiB, uploadLimitFree: GiB, uploadLimitPremium: 0, downloadLimitFree: GiB, storageQuotaFree: 200 * GiB, storageQuotaPremium: 0 };

t.test('limits of each tier with the defaults (the original\'s: 1 GiB for non-premium)', async (t) => {
  const table: Array<[Tier, ReturnType<typeof limitsOf>]> = [
    ['anonymous', { uploadSize: GiB, downloadSize: GiB }],
    ['free', { uploadSize: GiB, downloadSize: GiB, storage: 200 * GiB }],
    ['premium', { uploadSize: undefined, storage: undefined }],
    ['admin', {}],
  ];
  for (const [tier, want] of table) t.same(limitsOf(defaults, tier), want, tier);
  t.same(limitsOf({ ...defaults, uploadLimitPremium: 5 * GiB, downloadLimitFree: 0, storageQuotaPremium: 500 * GiB }, 'premium'), { uploadSize: 5 * GiB, storage: 500 * GiB });
  t.same(limitsOf({ ...defaults, downloadLimitFree: 0, storageQuotaFree: 0 }, 'free'), { uploadSize: GiB, downloadSize: undefined, storage: undefined }, '0 is no limit');
});

t.test('download size: non-premium callers cannot fetch files over the limit', async (t) => {
  const table: Array<[Tier, number, boolean]> = [
    ['anonymous', GiB, true],
    ['anonymous', GiB + 1, false],
    ['free', GiB + 1, false],
    ['premium', 50 * GiB, true],
    ['admin', 50 * GiB, true],
  ];
  for (const [tier, size, ok] of table) {
    const v = downloadSizeVerdict(limitsOf(defaults, tier), tier, size);
    t.equal(v.ok, ok, `${tier} ${size}`);
    if (!v.ok) t.match(v.message, /files over 1 GiB \(1073741824 bytes\) need a premium account/);
  }
});

t.test('upload size against the tier limit', async (t) => {
  t.same(uploadSizeVerdict({ uploadSize: 100 }, 'free', 100), { ok: true });
  t.same(uploadSizeVerdict({ uploadSize: 100 }, 'free', undefined), { ok: true }, 'not declared: the node holds it to the cluster limit');
  const v = uploadSizeVerdict({ uploadSize: 100 }, 'free', 101);
  t.equal(v.ok, false);
  t.match(!v.ok && v.message, 'free uploads are limited to 100 bytes (100 bytes); this one is 101 bytes');
  t.same(uploadSizeVerdict({}, 'premium', 1e15), { ok: true });
});

t.test('formatBytes', async (t) => {
  const table: Array<[number, string]> = [[0, '0 bytes'], [1023, '1023 bytes'], [1024, '1 KiB'], [1536, '1.5 KiB'], [GiB, '1 GiB'], [200 * GiB, '200 GiB']];
  for (const [n, want] of table) t.equal(formatBytes(n), want);
});

t.test('storage quota: logical bytes kept against the tier\'s quota', async (t) => {
  const table: Array<[number | undefined, number, number | undefined, boolean]> = [
    // quota, used, size, ok
    [undefined, 10 * GiB, 10 * GiB, true],
    [1000, 0, 1000, true],
    [1000, 1, 1000, false],
    [1000, 999, 1, true],
    [1000, 999, undefined, true],
    [1000, 1000, undefined, false],
    [1000, 1000, 0, true],
    [1000, 1200, 0, true],
    [1000, 1200, 1, false],
  ];
  for (const [quota, used, size, ok] of table) {
    const v = storageVerdict({ storage: quota }, 'free', used, size);
    t.equal(v.ok, ok, `quota ${quota} used ${used} size ${size}`);
    if (!v.ok) t.match(v.message, /free accounts may keep 1000 bytes \(1000 bytes\) of files; this one keeps \d+ bytes/);
  }
});
