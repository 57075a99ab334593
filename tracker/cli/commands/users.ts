// hoard-admin users create|list|show|set-tier|disable|enable|delete: the
// accounts, through the tracker's admin routes (cluster credential).
import type { Argv, CommandModule } from 'yargs';
import { CliError, formatBytes } from '../../../common/cli.js';
import type { UserInfo } from '../../../common/protocol/accounts.js';
import { TRACKER } from '../../../common/protocol/routes.js';
import { adminCaller } from '../call.js';
import { printJson, runAdmin, withAdminOptions, type AdminArgs } from '../options.js';
import { formatTable, shortDate } from '../table.js';

interface NameArgs extends AdminArgs {
  name: string;
}

const userPath = (name: string) => `${TRACKER.adminUsers}/${encodeURIComponent(name)}`;

/** Logical bytes of the account's links, against its quota when it has one. */
export function usageLine(u: UserInfo): string {
  const quota = u.limits?.storage;
  if (quota == null) return `${formatBytes(u.usedBytes)} (${u.usedBytes} bytes; no quota)`;
  const pct = quota === 0 ? 100 : Math.round((u.usedBytes / quota) * 1000) / 10;
  return `${formatBytes(u.usedBytes)} of ${formatBytes(quota)} (${u.usedBytes} of ${quota} bytes, ${pct}%)`;
}

function printUser(u: UserInfo, json: boolean): void {
  if (json) return printJson(u);
  const lines = [
    ['name', u.name],
    ['id', u.id],
    ['tier', u.tier + (u.tier !== u.accountTier ? ` (account ${u.accountTier})` : '')],
    ['premium until', u.premiumUntil ?? '-'],
    ['disabled', u.disabled ? 'yes' : 'no'],
    ['created', u.created ?? '-'],
    ['storage', usageLine(u)],
    ['upload limit', u.limits?.uploadSize == null ? 'none' : formatBytes(u.limits.uploadSize)],
    ['download limit', u.limits?.downloadSize == null ? 'none' : formatBytes(u.limits.downloadSize)],
    ['tokens', String(u.tokens)],
    ['sessions', String(u.sessions)],
  ];
  const p = u.points;
  if (p) {
    const check = p.agrees ? 'the ledger agrees' : `the ledger DIFFERS: ${p.ledgerEarned} points, ${p.ledgerSpent} redeemed`;
    lines.push(['reward points', `${p.balance} (${p.earned} earned, ${p.spent} spent; ${check})`]);
  }
  process.stdout.write(lines.map(([k, v]) => `${(k + ':').padEnd(16)}${v}`).join('\n') + '\n');
}

/** The first line of standard input (a password is never taken on the command line, where ps shows it). */
async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError('MISSING_ARGUMENT', 'pipe the password on standard input (printf "%s\\n" "$PW" | hoard-admin users create NAME)');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (line === '') throw new CliError('MISSING_ARGUMENT', 'no password on standard input');
  return line;
}

const named = (y: Argv<object>) => withAdminOptions(y).positional('name', { type: 'string', demandOption: true, describe: 'Account name' }) as Argv<NameArgs>;

const create: CommandModule<object, NameArgs & { admin: boolean }> = {
  command: 'create <name>',
  describe: 'Create an account (password: the first line of standard input)',
  builder: (y) => named(y).option('admin', { type: 'boolean', default: false, describe: 'An admin account' }) as Argv<NameArgs & { admin: boolean }>,
  handler: (argv) =>
    runAdmin(async () => {
      const password = await passwordFromStdin();
      const u = await adminCaller(argv).call<UserInfo>('POST', TRACKER.adminUsers, { body: { name: argv.name, password, tier: argv.admin ? 'admin' : 'free' } });
      printUser(u, argv.json);
    }),
};

const list: CommandModule<object, AdminArgs> = {
  command: 'list',
  describe: 'List accounts with their tier and usage',
  builder: (y) => withAdminOptions(y),
  handler: (argv) =>
    runAdmin(async () => {
      const api = adminCaller(argv);
      const all: UserInfo[] = [];
      for (let after: string | undefined; ; ) {
        const page = await api.call<UserInfo[]>('GET', `${TRACKER.adminUsers}?limit=1000${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`);
        all.push(...page);
        if (page.length < 1000) break;
        after = page[page.length - 1]!.id;
      }
      if (argv.json) return printJson(all);
      if (all.length === 0) {
        process.stdout.write('no accounts\n');
        return;
      }
      process.stdout.write(
        formatTable<UserInfo>(
          [
            { title: 'NAME', value: (u) => u.name },
            { title: 'TIER', value: (u) => u.tier + (u.disabled ? ',disabled' : '') },
            { title: 'PREMIUM UNTIL', value: (u) => (u.premiumUntil ? shortDate(u.premiumUntil) : '-') },
            { title: 'STORAGE', value: (u: UserInfo) => formatBytes(u.usedBytes) + (u.limits?.storage == null ? '' : ` / ${formatBytes(u.limits.storage)}`), right: true },
            { title: 'CREATED', value: (u) => shortDate(u.created) },
          ],
          [...all].sort((a, b) => a.name.localeCompare(b.name)),
        ),
      );
    }),
};

const show: CommandModule<object, NameArgs> = {
  command: 'show <name>',
  describe: 'Show an account: tier, premium, usage against its quota, tokens',
  builder: named,
  handler: (argv) => runAdmin(async () => printUser(await adminCaller(argv).call<UserInfo>('GET', userPath(argv.name)), argv.json)),
};

const setTier: CommandModule<object, NameArgs & { tier: string; days?: number }> = {
  command: 'set-tier <name> <tier>',
  describe: 'Set the tier: free (premium ends now), premium --days N, or admin',
  builder: (y) =>
    named(y)
      .positional('tier', { type: 'string', choices: ['free', 'premium', 'admin'], demandOption: true })
      .option('days', { type: 'number', describe: 'Days of premium from now (premium only)' }) as Argv<NameArgs & { tier: string; days?: number }>,
  handler: (argv) =>
    runAdmin(async () => {
      if (argv.tier === 'premium' && argv.days === undefined) throw new CliError('MISSING_ARGUMENT', 'premium needs --days N');
      const body = argv.tier === 'premium' ? { tier: argv.tier, days: argv.days } : { tier: argv.tier };
      printUser(await adminCaller(argv).call<UserInfo>('PATCH', userPath(argv.name), { body }), argv.json);
    }),
};

const disable = (disabled: boolean): CommandModule<object, NameArgs> => ({
  command: `${disabled ? 'disable' : 'enable'} <name>`,
  describe: disabled ? 'Disable an account: it cannot sign in, its sessions and tokens end' : 'Enable a disabled account again',
  builder: named,
  handler: (argv) => runAdmin(async () => printUser(await adminCaller(argv).call<UserInfo>('PATCH', userPath(argv.name), { body: { disabled } }), argv.json)),
});

const remove: CommandModule<object, NameArgs> = {
  command: 'delete <name>',
  describe: 'Delete an account with its sessions and tokens (its links stay, without an account)',
  builder: named,
  handler: (argv) =>
    runAdmin(async () => {
      await adminCaller(argv).call('DELETE', userPath(argv.name));
      if (argv.json) printJson({ deleted: argv.name });
      else process.stdout.write(`deleted account ${argv.name}\n`);
    }),
};

export const usersCommand: CommandModule<object, object> = {
  command: 'users <command>',
  describe: 'Accounts: create, list, show, set-tier, disable, enable, delete',
  builder: (y: Argv<object>) =>
    y
      .command(create)
      .command(list)
      .command(show)
      .command(setTier)
      .command(disable(true))
      .command(disable(false))
      .command(remove)
      .demandCommand(1, 'Name a users command: create, list, show, set-tier, disable, enable or delete'),
  handler: () => undefined,
};
