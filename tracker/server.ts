// The tracker's HTTP server: the route table (http/routes.ts) behind the one
// router, a request with an unread body closing its connection, and
// `Expect: 100-continue` left to the handlers.
import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, DEFAULT_TIMEOUTS } from '../common/http.js';
import { observeHttp } from '../common/metrics.js';
import { TUS_EXPOSE, TUS_REQUEST_HEADERS } from '../common/protocol/tus.js';
import { createRouter, type Route, type Router } from '../common/router.js';
import type { TrackerConfig } from './config.js';
import type { TrackerContext } from './context.js';
import { hasBody } from './http/body.js';
import { callerResolver, type Caller } from './http/caller.js';
import { CLOSED_PREFIXES, TRACKER_ROUTES, type TrackerRoute } from './http/routes.js';
import { isStoreOutage } from './meta/open.js';
import { registerTrackerMetrics } from './metrics.js';
import { HoardError } from '../common/protocol/errors.js';

/** Seconds a browser may keep a preflight answer. */
const PREFLIGHT_MAX_AGE_S = 600;

/** The tracker's routes with their handlers bound to `ctx`. */
export function bindRoutes(ctx: TrackerContext, routes: readonly TrackerRoute[] = TRACKER_ROUTES): Array<Route<Caller>> {
  return routes.map(({ handle, ...rest }) => ({ ...rest, handle: (req, res, m) => handle(ctx, req, res, m) }));
}

/** The router with the tracker's auth, caller hook and CORS policy. */
export function trackerRouter(
  config: Pick<TrackerConfig, 'secret' | 'corsOrigins' | 'metricsTokenFile'>,
  routes: ReadonlyArray<Route<Caller>>,
  caller: (req: IncomingMessage) => Caller | Promise<Caller>,
): Router<Caller> {
  return createRouter<Caller>(routes, {
    secret: config.secret,
    metricsToken: config.metricsTokenFile || undefined,
    caller,
    cors: { origins: config.corsOrigins, expose: TUS_EXPOSE.split(', '), allowHeaders: TUS_REQUEST_HEADERS, maxAgeS: PREFLIGHT_MAX_AGE_S },
    closedPrefixes: CLOSED_PREFIXES,
  });
}

export function createTrackerServer(ctx: TrackerContext): http.Server {
  const router = trackerRouter(ctx.config, bindRoutes(ctx), callerResolver({
      accounts: ctx.accounts,
      publicUrl: () => ctx.publicUrl,
      now: ctx.now,
      trustedProxies: new Set(ctx.config.trustedProxies),
      seen: (userId, ip) => ctx.rewards.seen(userId, ip),
    }),);
  const server = createServer((req, res, url) => {
    // A body the handler does not read fully means the connection cannot be reused (readBody lifts this).
    if (hasBody(req)) res.setHeader('connection', 'close');
    // The database away (a failover) is a 503 callers retry, not a 500.
    return router.handle(req, res, url).catch((err: unknown) => {
      throw isStoreOutage(err) ? new HoardError('STORE_UNAVAILABLE', undefined, { cause: err }) : err;
    });
  }, ctx.log, { ...DEFAULT_TIMEOUTS, bodyMs: ctx.config.bodyTimeout });
  registerTrackerMetrics();
  observeHttp(server, router.routeOf, router.routes.map((r) => r.path));
  // Without this listener Node answers 100 Continue by itself; handlers send it
  // only when they read a body (http/body.ts), so refusals and upload
  // redirects reach the client before it sends any bytes.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));
  return server;
}
