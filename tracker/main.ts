#!/usr/bin/env node
// hoard-tracker: flags → config → the composed tracker → listen → signals.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { hoardVersion } from '../common/cli.js';
import { ConfigError, loadConfig } from '../common/config.js';
import { createLogger } from '../common/log.js';
import { collectProcessMetrics } from '../common/metrics.js';
import { readSecretFile, SecretError } from '../common/secret.js';
import { composeTracker } from './compose.js';
import { trackerFlagValues, trackerFlags, trackerSpec } from './config.js';
import { StoreError } from './meta/store.js';

function parseFlags() {
  let parser = yargs(hideBin(process.argv)).scriptName('hoard-tracker').usage('$0 --data DIR --secret SECRET [options]');
  for (const [flag, opt] of Object.entries(trackerFlags())) parser = parser.option(flag, opt);
  return parser
    .option('secret-file', { type: 'string', describe: 'Read the cluster secret from the first line of this file' })
    .option('config', { type: 'string', describe: 'JSON file with any of the keys above (camelCase)' })
    .strict()
    .help()
    .version(hoardVersion())
    .parseSync();
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const secret = typeof flags.secret === 'string' ? flags.secret : flags.secretFile ? readSecretFile(flags.secretFile) : undefined;
  const config = loadConfig(trackerSpec, { ...trackerFlagValues(flags), secret }, flags.config);
  const log = createLogger('tracker');
  const tracker = await composeTracker(config, { log });
  const port = await tracker.listen();
  log.info({ port, url: tracker.ctx.publicUrl, nodes: tracker.ctx.topology.list().length }, 'listening');
  collectProcessMetrics();
  await tracker.start();

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    tracker.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'closing the store failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof SecretError || err instanceof StoreError) {
    process.stderr.write(`hoard-tracker: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`hoard-tracker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
