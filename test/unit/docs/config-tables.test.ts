// The docs are part of the contract: every error code, every route and every
// config key the code knows must be documented.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS } from '../../../common/protocol/errors.js';
import { TRACKER, NODE } from '../../../common/protocol/routes.js';
import { REPO_ROOT } from '../../helpers/repo-root.js';

const doc = (name: string) => readFileSync(join(REPO_ROOT, 'docs', name), 'utf8');

const errorsMd = doc('errors.md');
for (const [code, { status }] of Object.entries(ERRORS)) {
  t.match(errorsMd, new RegExp('\\| `' + code + '` \\| ' + status + ' \\|'), `errors.md lists ${code} as ${status}`);
}

const protocolMd = doc('protocol.md');
for (const route of [...Object.values(TRACKER), ...Object.values(NODE)]) {
  t.ok(protocolMd.includes(route), `protocol.md documents ${route}`);
}

// docs/config.md carries the generated tables verbatim.
const { configTables } = await import('../../../scripts/config-doc.js');
t.ok(doc('config.md').includes(configTables()), 'docs/config.md matches the config specs (regenerate with node dist/scripts/config-doc.js)');
