// The early-stop and tus parts of the contract are documented: every route,
// the headers a client needs, and each attack in the security page.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TUS_H } from '../../../common/protocol/tus.js';
import { TUS_NODE, TUS_TRACKER } from '../../../common/protocol/routes.js';
import { REPO_ROOT } from '../../helpers/repo-root.js';

const doc = (name: string) => readFileSync(join(REPO_ROOT, 'docs', name), 'utf8');

const protocol = doc('protocol.md');
for (const route of [...Object.values(TUS_TRACKER), ...Object.values(TUS_NODE)]) {
  t.ok(protocol.includes(route), `protocol.md documents ${route}`);
}
for (const h of Object.values(TUS_H)) {
  t.ok(protocol.toLowerCase().includes(h), `protocol.md names the ${h} header`);
}
const security = doc('security.md');
for (const attack of ['Hash-only claim', 'Correct prefix plus garbage', 'Replayed answers', 'Probing for existence', 'MD5 collisions']) {
  t.ok(security.includes(attack), `security.md covers ${attack}`);
}
