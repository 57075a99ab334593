// hoard-admin link-delete ID...: delete links; a blob left without links is
// deleted from every node by the tracker's gc worker after its grace period.
import type { Argv, CommandModule } from 'yargs';
import { CliError } from '../../../common/cli.js';
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
      const ids = argv.ids.map(linkIdOf);
      const out: LinkDeleted[] = [];
      for (const id of ids) out.push(await api.call<LinkDeleted>('DELETE', TRACKER.linkInfo + id));
      if (argv.json) return printJson(out);
      for (const d of out) {
        const after = d.refs > 0 ? `${d.refs} link(s) left on blob ${d.blob}` : `blob ${d.blob} has no link left; its bytes go after ${d.gcAfter ?? 'the grace period'}`;
        process.stdout.write(`deleted ${d.id}: ${after}\n`);
      }
    }),
};
