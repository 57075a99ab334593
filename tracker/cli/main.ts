#!/usr/bin/env node
// hoard-admin: look into a running hoard cluster through the tracker's admin
// routes; `migrate` alone opens metadata stores itself (the tracker stopped).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { hoardVersion } from '../../common/cli.js';
import { blobsCommand } from './commands/blobs.js';
import { drainCommand } from './commands/drain.js';
import { repairCommand } from './commands/repair.js';
import { workerRunCommand } from './commands/worker-run.js';
import { workersCommand } from './commands/workers.js';
import { fsckCommand } from './commands/fsck.js';
import { gcCommand } from './commands/gc.js';
import { keysCommand } from './commands/keys.js';
import { usersCommand } from './commands/users.js';
import { linkDeleteCommand } from './commands/link-delete.js';
import { scrubCommand } from './commands/scrub.js';
import { linksCommand } from './commands/links.js';
import { migrateCommand } from './commands/migrate.js';
import { nodesCommand } from './commands/nodes.js';
import { statsCommand } from './commands/stats.js';
import { auditCommand, takedownCommand } from './commands/takedown.js';

await yargs(hideBin(process.argv))
  .scriptName('hoard-admin')
  .usage('$0 <command> [options]')
  .command(nodesCommand)
  .command(blobsCommand)
  .command(linksCommand)
  .command(statsCommand)
  .command(drainCommand)
  .command(repairCommand)
  .command(workersCommand)
  .command(workerRunCommand)
  .command(linkDeleteCommand)
  .command(gcCommand)
  .command(fsckCommand)
  .command(scrubCommand)
  .command(migrateCommand)
  .command(usersCommand)
  .command(keysCommand)
  .command(takedownCommand)
  .command(auditCommand)
  .demandCommand(1, 'Name a command: nodes, blobs, links, stats, drain, repair, workers, worker run, link-delete, gc, fsck, scrub, migrate, users, keys, takedown or audit')
  .strict()
  .help()
  .alias('h', 'help')
  .version(hoardVersion())
  .parseAsync();
