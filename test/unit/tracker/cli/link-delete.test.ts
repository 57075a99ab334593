// hoard-admin link-delete takes link ids that begin with '-' (a base64url id
// does one time in 64) as ids, not as options, and reports each id: one that
// fails does not stop the others.
import t from 'tap';
import { createServer, listen, sendJson } from '../../../../common/http.js';
import { HoardError } from '../../../../common/protocol/errors.js';
import { createLogger } from '../../../../common/log.js';
import type { LinkDeleted } from '../../../../common/protocol/types.js';
import { linkDeleteCommand } from '../../../../tracker/cli/commands/link-delete.js';
import { runCommand } from '../../../helpers/cli-run.js';

const deleted: string[] = [];
const server = createServer((req, res, url) => {
  const id = url.pathname.slice('/api/links/'.length);
  deleted.push(`${req.method} ${id}`);
  if (id.startsWith('gone')) throw new HoardError('LINK_NOT_FOUND');
  const out: LinkDeleted = { id, blob: 'b'.repeat(64), refs: 1 };
  sendJson(res, 200, out);
}, createLogger('test', 'silent'));
const port = await listen(server, 0, '127.0.0.1');
t.teardown(() => new Promise<void>((r) => server.close(() => r())));

const run = (args: string[]) => runCommand(linkDeleteCommand, args);

t.test('ids beginning with a dash are ids', async (t) => {
  const dashed = '-iizBKzmc2h6njLnMGq1Yw';
  const plain = 'rbviYLrrrzfpv-jXoHi-EA';
  const out = await run(['link-delete', dashed, `http://tracker.example/f/${plain}`, '--tracker', `http://127.0.0.1:${port}`, '--secret', 'link-delete-test-secret-0123', '--json']);
  t.same(deleted, [`DELETE ${dashed}`, `DELETE ${plain}`]);
  t.same((JSON.parse(out) as LinkDeleted[]).map((d) => d.id), [dashed, plain]);
});

t.test('each id is reported; a failing one does not stop the rest, and the exit status is 1', async (t) => {
  deleted.length = 0;
  const ok = 'rbviYLrrrzfpv-jXoHi-EA';
  const gone = 'goneYLrrrzfpv-jXoHi-EA';
  const last = 'lastYLrrrzfpv-jXoHi-EA';
  const before = process.exitCode;
  t.teardown(() => void (process.exitCode = before));
  const out = await run(['link-delete', ok, gone, last, '--tracker', `http://127.0.0.1:${port}`, '--secret', 'link-delete-test-secret-0123', '--json']);
  t.same(deleted, [`DELETE ${ok}`, `DELETE ${gone}`, `DELETE ${last}`], 'every id was tried');
  const answers = JSON.parse(out) as Array<{ id: string; error?: { code: string } }>;
  t.same(answers.map((a) => [a.id, a.error?.code]), [[ok, undefined], [gone, 'LINK_NOT_FOUND'], [last, undefined]]);
  t.equal(process.exitCode, 1);
});
