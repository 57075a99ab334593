// hoard-admin link-delete ID...: delete links; a blob left without links is
// deleted from every node by the tracker's gc worker after its grace period.
import type { Argv, CommandModule } from 'yargs';
import { CliError, describeError, errorLine } from '../../../common/cli.js';
import { LINK_ID_RE } from '../../../common/protocol/ids.js';
import { TRACKER } from '../../../common/protocol/routes.js';
import type { LinkDeleted } from '../../../common/protocol/types.js';
import { adminCaller } from '../call.js';
import { printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';

interface Args extends AdminArgs {
  ids: string[];
}

/** A link id, or a full link URL ending in /f/<id>. */
function linkIdOf(arg: string): string {
  const id = arg.includes('/') ? arg.slice(arg.lastIndexOf(TRACKER.link) + TRACKER.link.length) : arg;
  if (!LINK_ID_RE.test(id)) throw new CliError('BAD_LINK', `${JSON.stringify(arg)} is neither a link id nor a link URL`);
  return id;
}

export const linkDeleteCommand: CommandModule<object, Args> = {
  command: 'link-delete <ids..>',
  describe: 'Delete links (ids or link URLs); content left without links is removed after the GC grace period',
  builder: (y: Argv<object>) =>
    withAdminOptions(y)
      // A link id may begin with '-' (base64url): not an option, one of the ids.
      .parserConfiguration({ 'unknown-options-as-args': true })
      .positional('ids', { type: 'string', array: true, demandOption: true }) as Argv<Args>,
  handler: (argv) =>
    runAdmin(async () => {
      const api = adminCaller(argv);
      // Each id on its own: one that fails is reported and the others still go.
      const out: Array<LinkDeleted | { id: string; error: { code: string; message: string } }> = [];
      for (const arg of argv.ids.map(String)) {
        try {
          const d = await api.call<LinkDeleted>('DELETE', TRACKER.linkInfo + linkIdOf(arg));
          out.push(d);
          if (!argv.json) {
            const after = d.refs > 0 ? `${d.refs} link(s) left on blob ${d.blob}` : `blob ${d.blob} has no link left; its bytes go after ${d.gcAfter ?? 'the grace period'}`;
            process.stdout.write(`deleted ${d.id}: ${after}\n`);
          }
        } catch (err) {
          // The tracker gone is not a per-link answer: stop there.
          if (err instanceof CliError && (err.code === 'TRACKER_UNREACHABLE' || err.code === 'SECRET_REQUIRED')) throw err;
          process.exitCode = 1;
          out.push({ id: arg, error: describeError(err) });
          process.stderr.write(errorLine('hoard-admin', err, arg) + '\n');
        }
      }
      if (argv.json) printJson(out);
    }),
};
