// The docs are part of the contract: every error code, every route and every
// config key the code knows must be documented.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { ERRORS } from '../common/errors.js';
import { TRACKER, NODE } from '../common/protocol.js';

const doc = (name: string) => readFileSync(new URL(`../docs/${name}`, import.meta.url), 'utf8');

const errorsMd = doc('errors.md');
for (const [code, { status }] of Object.entries(ERRORS)) {
  t.match(errorsMd, new RegExp('\\| `' + code + '` \\| ' + status + ' \\|'), `errors.md lists ${code} as ${status}`);
}

const protocolMd = doc('protocol.md');
for (const route of [...Object.values(TRACKER), ...Object.values(NODE)]) {
  t.ok(protocolMd.includes(route), `protocol.md documents ${route}`);
}

// Every configuration key of both roles has a row in config.md.
const configMd = doc('config.md');
const { trackerSpec } = await import('../tracker/config.js');
const { NODE_SPEC } = await import('../node/config.js');
for (const key of new Set([...Object.keys(trackerSpec), ...Object.keys(NODE_SPEC)])) {
  t.match(configMd, new RegExp('^\\| `' + key + '` \\|', 'm'), `config.md lists ${key}`);
}
