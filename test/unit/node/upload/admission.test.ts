// Whether an upload may start: the node's limit, then the free space less
// the reserve less what uploads in flight have been promised.
import t from 'tap';
import { UploadAdmission } from '../../../../node/upload/admission.js';

const disk = (freeBytes: number) => ({ space: async () => ({ freeBytes, totalBytes: 10 * freeBytes }) });

t.test('over the upload limit: 413, before the disk is asked', async (t) => {
  let asked = 0;
  const a = new UploadAdmission({ store: { space: async () => (asked++, { freeBytes: 1e9, totalBytes: 1e9 }) }, limits: { maxUploadSize: 100, reserve: 0 } });
  await t.rejects(a.check(101), { code: 'PAYLOAD_TOO_LARGE', status: 413, message: /101 bytes is over the limit of 100/ });
  t.equal(asked, 0);
  await a.check(100);
});

t.test('free space less the reserve less the promised space', async (t) => {
  const a = new UploadAdmission({ store: disk(1000), limits: { maxUploadSize: 1e9, reserve: 200 } });
  await a.check(800);
  await t.rejects(a.check(801), { code: 'INSUFFICIENT_STORAGE', status: 507 }, 'the reserve is kept');
  let written = 0;
  const c = a.claim(() => 500 - written);
  t.equal(a.promised(), 500);
  await t.rejects(a.check(301), { code: 'INSUFFICIENT_STORAGE' });
  await a.check(300);
  written = 400;
  t.equal(a.promised(), 100, 'what a claim has written is no longer promised');
  written = 600;
  t.equal(a.promised(), 0, 'an upload past its announced size promises nothing, not less than nothing');
  c.release();
  c.release();
  t.equal(a.promised(), 0, 'released (twice is harmless)');
});
