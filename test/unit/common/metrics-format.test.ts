// The metrics page passes Prometheus' own check, `promtool check metrics`
// (prom-client's default nodejs_active_*_total gauges did not: a gauge must
// not be named like a counter). Skipped, saying why, where promtool is not
// installed (.ci/run installs it).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { register } from 'prom-client';
import { collectProcessMetrics } from '../../../common/metrics.js';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const missing = promtool.error ? 'promtool is not installed (apt-get install prometheus)' : false;

t.test('promtool check metrics passes on the process metrics', { skip: missing }, async (t) => {
  collectProcessMetrics();
  const text = await register.metrics();
  t.match(text, /nodejs_active_handles\{/, 'the per-type gauges stay');
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  t.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
});
