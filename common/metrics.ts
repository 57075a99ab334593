// Prometheus metrics with prom-client's default registry: helpers that
// create a metric once per process (a test process may load both roles, and
// several modules may ask for the same metric), the request histogram and
// byte counters every server has, and the /metrics answer.
import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, Gauge, Histogram, collectDefaultMetrics, register } from 'prom-client';
import { SeriesHistogram, type HistogramSeries } from './series-histogram.js';
import type { JobProgress } from './protocol/types.js';
import type { Worker, WorkerReport } from './worker.js';

export function counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return (register.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames });
}

export function gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  return (register.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge<L>({ name, help, labelNames });
}

export function histogram<L extends string = never>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> {
  return (register.getSingleMetric(name) as Histogram<L> | undefined) ?? new Histogram<L>({ name, help, labelNames, buckets });
}

let defaultsOn = false;

/** Process metrics (CPU, memory, event-loop lag, handles); once per process, from main only. */
export function collectProcessMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics();
  // Gauges named like counters fail `promtool check metrics`; each is the sum
  // of its per-type gauge without the suffix (nodejs_active_handles{type}, …).
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) register.removeSingleMetric(name);
}

// Requests from sub-millisecond redirects to hour-long transfers.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

const REQUEST_SECONDS = 'hoard_http_request_duration_seconds';
const requestSeconds = (): SeriesHistogram<'route' | 'method' | 'status'> => {
  const known = register.getSingleMetric(REQUEST_SECONDS);
  if (known instanceof SeriesHistogram) return known as SeriesHistogram<'route' | 'method' | 'status'>;
  return new SeriesHistogram(REQUEST_SECONDS, 'Time from request to the end of the answer, by route, method and status', ['route', 'method', 'status'], LATENCY_BUCKETS);
};
const bytesIn = () => counter('hoard_bytes_in_total', 'Bytes received on HTTP connections (request heads and bodies), by route', ['route']);
const bytesOut = () => counter('hoard_bytes_out_total', 'Bytes sent on HTTP connections (answer heads and bodies), by route', ['route']);

/**
 * Times every request the server hands to its handler and counts its bytes,
 * labelled by `routeOf` (a fixed route name, never the raw path: ids would
 * make a series per blob). A second 'request' listener, so the server's own
 * handler is untouched. `routes` (the router's patterns, and 'other') get
 * their byte counters at 0 from the start.
 *
 * Bytes are counted on the socket from the end of its previous answer to the
 * end of this one, so the request's head (read before the 'request' event)
 * and the first piece of its body are counted too.
 *
 * Per request it only reads the path from the request target and looks up
 * labelled children made once per label set: labelling on every observation
 * (prom-client hashes the label object each time) showed in ranged-read profiles.
 */
export function observeHttp(server: http.Server, routeOf: (pathname: string) => string, routes: readonly string[] = []): void {
  const hist = requestSeconds();
  const inc = bytesIn();
  const out = bytesOut();
  const timers = new Map<string, HistogramSeries>();
  const byRoute = new Map<string, { bytesIn: Counter.Internal; bytesOut: Counter.Internal }>();
  const bytesOf = (route: string) => {
    let bytes = byRoute.get(route);
    if (!bytes) {
      bytes = { bytesIn: inc.labels({ route }), bytesOut: out.labels({ route }) };
      byRoute.set(route, bytes);
    }
    return bytes;
  };
  for (const route of [...routes, 'other']) {
    const b = bytesOf(route);
    b.bytesIn.inc(0);
    b.bytesOut.inc(0);
  }
  // What each socket had read and written when its last answer ended.
  const marks = new WeakMap<Socket, { read: number; written: number }>();
  const paths = new Map<string, string>();
  const routeFor = (target: string): string => {
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    let route = paths.get(path);
    if (route === undefined) {
      route = routeOf(pathnameOf(path));
      // Paths carry ids: only a bounded number of them is remembered.
      if (paths.size >= 1024) paths.clear();
      paths.set(path, route);
    }
    return route;
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const sock = req.socket;
    const route = routeFor(req.url ?? '/');
    res.once('close', () => {
      const s = (performance.now() - started) / 1000;
      const method = req.method ?? '';
      const status = res.statusCode;
      const key = `${route} ${method} ${status}`;
      let timer = timers.get(key);
      if (!timer) {
        timer = hist.seriesFor({ route, method, status: String(status) });
        timers.set(key, timer);
      }
      timer.observe(s);
      const mark = marks.get(sock) ?? { read: 0, written: 0 };
      const bytes = bytesOf(route);
      bytes.bytesIn.inc(Math.max(0, sock.bytesRead - mark.read));
      bytes.bytesOut.inc(Math.max(0, sock.bytesWritten - mark.written));
      marks.set(sock, { read: sock.bytesRead, written: sock.bytesWritten });
    });
  });
}

/** The pathname URL parsing gives a request target's path (dot segments resolved, as routing sees it). */
function pathnameOf(path: string): string {
  try {
    return new URL(path, 'http://h').pathname;
  } catch {
    return '/';
  }
}

/** GET /metrics: the default registry in Prometheus text format. */
export async function sendMetrics(res: ServerResponse): Promise<void> {
  const text = await register.metrics();
  res.writeHead(200, { 'content-type': register.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Wraps a worker so each run is counted and timed (hoard_worker_*{worker}). */
export function observeWorker<Ctx>(worker: Worker<Ctx>): Worker<Ctx> {
  const runs = counter('hoard_worker_runs_total', 'Background worker runs, by worker and result (ok, failed)', ['worker', 'result']);
  const seconds = gauge('hoard_worker_last_run_seconds', 'How long the last run of a worker took', ['worker']);
  const lastOk = gauge('hoard_worker_last_success_timestamp_seconds', 'Unix time at which a worker last finished without error', ['worker']);
  // At 0 from the start; the success time appears at the first success (a 0 there would read as 1970).
  for (const result of ['ok', 'failed']) runs.inc({ worker: worker.name, result }, 0);
  seconds.set({ worker: worker.name }, 0);
  return {
    ...worker,
    async runOnce(ctx: Ctx, progress?: (p: JobProgress) => void): Promise<WorkerReport> {
      const started = Date.now();
      try {
        const report = await worker.runOnce(ctx, progress);
        runs.inc({ worker: worker.name, result: 'ok' });
        lastOk.set({ worker: worker.name }, Date.now() / 1000);
        return report;
      } catch (err) {
        runs.inc({ worker: worker.name, result: 'failed' });
        throw err;
      } finally {
        seconds.set({ worker: worker.name }, (Date.now() - started) / 1000);
      }
    },
  };
}
