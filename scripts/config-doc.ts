// Prints the key tables of docs/config.md from the specs the daemons load,
// so the doc cannot drift from the code (test/docs.test.ts compares them).
import { describeConfig } from '../common/config.js';
import { NODE_SPEC } from '../node/config.js';
import { trackerSpec } from '../tracker/config.js';

const header = '| flag | environment | default | meaning |\n|---|---|---|---|';

export function configTables(): string {
  return [
    '## hoard-tracker',
    '',
    header,
    describeConfig(trackerSpec),
    '',
    '## hoard-node',
    '',
    header,
    describeConfig(NODE_SPEC),
    '',
  ].join('\n');
}

if (process.argv[1]?.endsWith('config-doc.js')) process.stdout.write(configTables());
