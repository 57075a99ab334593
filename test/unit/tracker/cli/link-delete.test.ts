// hoard-admin link-delete takes link ids that begin with '-' (a base64url id
// does one time in 64) as ids, not as options.
import t from 'tap';
import yargs from 'yargs';
import { createServer, listen, sendJson } from '../../../../common/http.js';
import { createLogger } from '../../../../common/log.js';
import type { LinkDeleted } from '../../../../common/protocol/types.js';
import { linkDeleteCommand } from '../../../../tracker/cli/commands/link-delete.js';

const deleted: string[] = [];
const server = createServer((req, res, url) => {
  const id = url.pathname.slice('/api/links/'.length);
  deleted.push(`${req.method} ${id}`);
  const out: LinkDeleted = { id, blob: 'b'.repeat(64), refs: 1 };
  sendJson(res, 200, out);
}, createLogger('test', 'silent'));
const port = await listen(server, 0, '127.0.0.1');
t.teardown(() => new Promise<void>((r) => server.close(() => r())));

/** Runs the command in-process; what it prints is returned, not shown. */
async function run(args: string[]): Promise<string> {
  let printed = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    await yargs(args).command(linkDeleteCommand).strict().exitProcess(false).parseAsync();
  } finally {
    process.stdout.write = write;
  }
  return printed;
}

t.test('ids beginning with a dash are ids', async (t) => {
  const dashed = '-iizBKzmc2h6njLnMGq1Yw';
  const plain = 'rbviYLrrrzfpv-jXoHi-EA';
  const out = await run(['link-delete', dashed, `http://tracker.example/f/${plain}`, '--tracker', `http://127.0.0.1:${port}`, '--secret', 'link-delete-test-secret-0123', '--json']);
  t.same(deleted, [`DELETE ${dashed}`, `DELETE ${plain}`]);
  t.same((JSON.parse(out) as LinkDeleted[]).map((d) => d.id), [dashed, plain]);
});
