import t from 'tap';
import { Registry } from 'prom-client';
import { SeriesHistogram } from '../../../common/series-histogram.js';

t.test('buckets are cumulative, le first, bounds inclusive, as prom-client writes them', async (t) => {
  const h = new SeriesHistogram('test_series_seconds', 'Test', ['route', 'status'], [0.1, 0.01, 1]);
  const reg = new Registry();
  reg.registerMetric(h);
  const s = h.seriesFor({ route: '/a/', status: '200' });
  for (const v of [0.005, 0.01, 0.5, 7, NaN]) s.observe(v);
  t.equal(h.seriesFor({ route: '/a/', status: '200' }), s, 'one series per label set');
  h.seriesFor({ route: '/a/', status: '404' }).observe(0.02);
  const text = await reg.metrics();
  t.match(text, /^test_series_seconds_bucket\{le="0.01",route="\/a\/",status="200"\} 2$/m);
  t.match(text, /^test_series_seconds_bucket\{le="0.1",route="\/a\/",status="200"\} 2$/m);
  t.match(text, /^test_series_seconds_bucket\{le="1",route="\/a\/",status="200"\} 3$/m);
  t.match(text, /^test_series_seconds_bucket\{le="\+Inf",route="\/a\/",status="200"\} 4$/m);
  t.match(text, /^test_series_seconds_sum\{route="\/a\/",status="200"\} 7.515$/m);
  t.match(text, /^test_series_seconds_count\{route="\/a\/",status="200"\} 4$/m);
  t.match(text, /^test_series_seconds_bucket\{le="0.1",route="\/a\/",status="404"\} 1$/m);
  t.match(text, /^# TYPE test_series_seconds histogram$/m);
});

t.test('reset zeroes the series callers hold', async (t) => {
  const h = new SeriesHistogram('test_series_reset_seconds', 'Test', ['route'], [1]);
  const s = h.seriesFor({ route: '/a/' });
  s.observe(0.5);
  h.reset();
  s.observe(2);
  const m = await h.get();
  t.same(
    m.values.map((v) => [v.metricName, v.value]),
    [
      ['test_series_reset_seconds_bucket', 0],
      ['test_series_reset_seconds_bucket', 1],
      ['test_series_reset_seconds_sum', 2],
      ['test_series_reset_seconds_count', 1],
    ],
  );
});
