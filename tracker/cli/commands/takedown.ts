// hoard-admin takedown link|content|user TARGET --reason TEXT [--ref NOTICE],
// takedown list, takedown show ID, takedown lift ID; and hoard-admin audit,
// the log of every admin action (docs/takedowns.md).
import type { Argv, CommandModule } from 'yargs';
import { CliError } from '../../../common/cli.js';
import { TRACKER } from '../../../common/protocol/routes.js';
import type { AuditEntry, TakedownInfo, TakedownRequest, TakedownScope } from '../../../common/protocol/takedowns.js';
import { adminCaller } from '../call.js';
import { printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';
import { formatTable, shortDate } from '../table.js';

const PAGE = 1000;

interface IssueArgs extends AdminArgs {
  target: string;
  reason: string;
  ref?: string;
  keep: boolean;
  disable: boolean;
}

/** A link URL (…/f/<id>) stands for its id; anything else is passed as given. */
function targetOf(arg: string): string {
  const at = arg.lastIndexOf(TRACKER.link);
  return arg.includes('://') && at >= 0 ? arg.slice(at + TRACKER.link.length).replace(/[?#].*$/, '') : arg;
}

function printNotice(n: TakedownInfo): void {
  const lines: Array<[string, string]> = [
    ['notice', n.id],
    ['scope', n.scope],
    ['target', n.target],
    ['reason', n.reason],
    ['reference', n.ref ?? '-'],
    ['by', n.by],
    ['issued', shortDate(n.created)],
    ['state', n.inForce ? 'in force' : `lifted ${shortDate(n.lifted)} by ${n.liftedBy ?? '-'}`],
    ['bytes', n.keep ? 'kept (legal hold)' : n.purged ? `links deleted ${shortDate(n.purged)}` : n.purgeAfter ? `links deleted after ${shortDate(n.purgeAfter)}` : '-'],
  ];
  if (n.disabledAccount) lines.push(['account', 'disabled']);
  for (const s of n.strikes ?? []) lines.push(['strikes', `${s.name ?? s.user}: ${s.strikes}${s.disabledNow ? ' (repeat infringer: account disabled)' : ''}`]);
  process.stdout.write(lines.map(([k, v]) => `${(k + ':').padEnd(11)}${v}`).join('\n') + '\n');
}

const issue = (scope: TakedownScope, what: string): CommandModule<object, IssueArgs> => ({
  command: `${scope} <target>`,
  describe: `Take down ${what}`,
  builder: (y) => {
    const b = withAdminOptions(y)
      // A dashed id is then not an unknown option but an empty target, answered below.
      .parserConfiguration({ 'unknown-options-as-args': true })
      .positional('target', { type: 'string', demandOption: true })
      .option('reason', { type: 'string', demandOption: true, describe: 'Why (recorded with the notice)' })
      .option('ref', { type: 'string', describe: "The notice's public reference (answered with the 451)" })
      .option('keep', { type: 'boolean', default: false, describe: 'Legal hold: keep the bytes until lifted (no purge after the hold period)' });
    return (scope === 'user' ? b.option('disable', { type: 'boolean', default: false, describe: 'Disable the account too' }) : b) as Argv<IssueArgs>;
  },
  handler: (argv) =>
    runAdmin(async () => {
      // yargs reads a value beginning with '-' as an option and leaves the target empty: ids made before link ids stopped beginning with '-'.
      if (!argv.target) throw new CliError('MISSING_ARGUMENT', `no ${scope} target: a link id beginning with '-' is read as an option; give its link URL (…/f/<id>) instead`);
      const body: TakedownRequest = { scope, target: targetOf(String(argv.target)), reason: argv.reason };
      if (argv.ref !== undefined) body.ref = argv.ref;
      if (argv.keep) body.keep = true;
      if (argv.disable) body.disableAccount = true;
      const n = await adminCaller(argv).call<TakedownInfo>('POST', TRACKER.adminTakedowns, { body });
      if (argv.json) printJson(n);
      else printNotice(n);
    }),
});

/** Every page of a listing. */
async function all<T extends { id: string }>(argv: AdminArgs, path: string): Promise<T[]> {
  const api = adminCaller(argv);
  const out: T[] = [];
  for (let after: string | undefined; ; ) {
    const page = await api.call<T[]>('GET', `${path}?limit=${PAGE}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`);
    out.push(...page);
    if (page.length < PAGE) return out;
    after = page[page.length - 1]!.id;
  }
}

const list: CommandModule<object, AdminArgs & { all: boolean }> = {
  command: 'list',
  describe: 'List the notices in force (--all: lifted ones too)',
  builder: (y) => withAdminOptions(y).option('all', { type: 'boolean', default: false, describe: 'Lifted notices too' }) as Argv<AdminArgs & { all: boolean }>,
  handler: (argv) =>
    runAdmin(async () => {
      const notices = (await all<TakedownInfo>(argv, TRACKER.adminTakedowns)).filter((n) => argv.all || n.inForce);
      if (argv.json) return printJson(notices);
      if (notices.length === 0) {
        process.stdout.write(argv.all ? 'no takedown notices\n' : 'no takedown notices in force\n');
        return;
      }
      process.stdout.write(
        formatTable<TakedownInfo>(
          [
            { title: 'NOTICE', value: (n) => n.id },
            { title: 'SCOPE', value: (n) => n.scope },
            { title: 'TARGET', value: (n) => n.target },
            { title: 'REF', value: (n) => n.ref ?? '-' },
            { title: 'BY', value: (n) => n.by },
            { title: 'ISSUED', value: (n) => shortDate(n.created) },
            { title: 'STATE', value: (n) => (n.inForce ? (n.keep ? 'in force, kept' : n.purged ? 'in force, purged' : 'in force') : 'lifted') },
            { title: 'REASON', value: (n) => (n.reason.length > 40 ? n.reason.slice(0, 39) + '…' : n.reason) },
          ],
          notices,
        ),
      );
    }),
};

interface IdArgs extends AdminArgs {
  id: string;
}

const byId = (y: Argv<object>) => withAdminOptions(y).positional('id', { type: 'string', demandOption: true, describe: 'Notice id (takedown list)' }) as Argv<IdArgs>;

const noticePath = (id: string) => {
  if (!/^[0-9a-f]{16}$/.test(id)) throw new CliError('BAD_ARGUMENT', `${JSON.stringify(id)} is not a notice id (16 hex digits, as takedown list shows)`);
  return `${TRACKER.adminTakedowns}/${id}`;
};

const show: CommandModule<object, IdArgs> = {
  command: 'show <id>',
  describe: 'Show a notice',
  builder: byId,
  handler: (argv) =>
    runAdmin(async () => {
      const n = await adminCaller(argv).call<TakedownInfo>('GET', noticePath(String(argv.id)));
      if (argv.json) printJson(n);
      else printNotice(n);
    }),
};

const lift: CommandModule<object, IdArgs> = {
  command: 'lift <id>',
  describe: 'Lift a notice: its links answer again (unless purged) and its content may be uploaded again',
  builder: byId,
  handler: (argv) =>
    runAdmin(async () => {
      const n = await adminCaller(argv).call<TakedownInfo>('POST', `${noticePath(String(argv.id))}/lift`);
      if (argv.json) printJson(n);
      else printNotice(n);
    }),
};

export const takedownCommand: CommandModule<object, object> = {
  command: 'takedown <command>',
  describe: 'Takedown notices: link, content or user scope; list, show, lift',
  builder: (y: Argv<object>) =>
    y
      .command(issue('link', 'one link (451 with the notice reference)'))
      .command(issue('content', 'every link to a content, and refuse its upload (a link id of it or its SHA-256)'))
      .command(issue('user', "every link of an account (its name or a link id of theirs; --disable to disable it)"))
      .command(list)
      .command(show)
      .command(lift)
      .demandCommand(1, 'Name a takedown command: link, content, user, list, show or lift'),
  handler: () => undefined,
};

export const auditCommand: CommandModule<object, AdminArgs> = {
  command: 'audit',
  describe: 'The audit log: every admin action (takedowns, tier changes, account deletions…), oldest first',
  builder: (y) => withAdminOptions(y),
  handler: (argv) =>
    runAdmin(async () => {
      const entries = await all<AuditEntry>(argv, TRACKER.adminAudit);
      if (argv.json) return printJson(entries);
      if (entries.length === 0) {
        process.stdout.write('the audit log is empty\n');
        return;
      }
      process.stdout.write(
        formatTable<AuditEntry>(
          [
            { title: 'AT', value: (a) => shortDate(a.at) },
            { title: 'ACTOR', value: (a) => a.actor },
            { title: 'ACTION', value: (a) => a.action },
            { title: 'TARGET', value: (a) => a.target },
            { title: 'DETAIL', value: (a) => a.detail ?? '' },
          ],
          entries,
        ),
      );
    }),
};
