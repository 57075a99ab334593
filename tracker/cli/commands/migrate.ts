// hoard-admin migrate: moves the tracker's metadata between stores
// (level:DIR ⇄ postgres://…) with the tracker stopped, then checks that both
// hold the same records (counts and a checksum over every record). Run again
// after a cut: what was copied is kept, the rest follows.
import type { Argv, CommandModule } from 'yargs';
import { migrateStore, summarize, type StoreSummary } from '../../meta/migrate.js';
import { openMetaStore } from '../../meta/open.js';
import type { MetaStore } from '../../meta/store.js';
import { printJson, runAdmin } from '../options.js';

interface MigrateArgs {
  from: string;
  to: string;
  json: boolean;
}

const COUNTED = ['nodes', 'blobs', 'links', 'uploads', 'badCopies', 'collisions', 'users', 'premiumKeys', 'points', 'redemptions', 'takedowns', 'auditEntries', 'downloads'] as const;

export const migrateCommand: CommandModule<object, MigrateArgs> = {
  command: 'migrate',
  describe: 'Copy the tracker metadata from one store to another (tracker stopped), then verify counts and a checksum',
  builder: (y: Argv<object>) =>
    y
      .option('from', { type: 'string', demandOption: true, describe: 'Store to read: level:DIR or postgres://USER@HOST:PORT/DB' })
      .option('to', { type: 'string', demandOption: true, describe: 'Store to fill (empty, or one a cut migrate left): level:DIR or postgres://…' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary of both stores as JSON' }) as Argv<MigrateArgs>,
  handler: (argv) =>
    runAdmin(async () => {
      if (argv.from === argv.to) throw new Error('--from and --to name the same store');
      const stores: MetaStore[] = [];
      try {
        const from = await openMetaStore(argv.from);
        stores.push(from);
        const to = await openMetaStore(argv.to);
        stores.push(to);
        await migrateStore(from, to, (p) => process.stderr.write(`${p.kind}: ${p.copied} copied, ${p.skipped} there already\n`));
        const [a, b] = await Promise.all([summarize(from), summarize(to)]);
        const same = a.checksum === b.checksum && COUNTED.every((k) => a[k] === b[k]);
        if (argv.json) printJson({ from: a, to: b, same });
        else process.stdout.write(describe('from', a) + describe('to', b) + (same ? 'verified: both stores hold the same records\n' : ''));
        if (!same) throw new Error('the stores differ after the copy (a tracker wrote to one meanwhile, or the target held other records)');
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    }),
};

function describe(which: string, s: StoreSummary): string {
  return `${which}: ${COUNTED.map((k) => `${s[k]} ${k}`).join(', ')}; checksum ${s.checksum}\n`;
}
