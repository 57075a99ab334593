// The one decision on whether an upload may start, as a table: every upload
// path (PUT /upload, POST /api/uploads, tus creation, a node's commit) asks it.
import t from 'tap';
import { HoardError } from '../../../../common/protocol/errors.js';
import { checkUpload, uploadVerdict, type Uploader } from '../../../../tracker/index/upload-policy.js';

const limits = { maxUploadSize: 1000 };
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
  t.doesNotThrow(() => checkUpload({ maxUploadSize: 0 }, anonymous, 0), 'a zero limit still lets empty files in');
});
