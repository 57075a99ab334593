// One router for both daemons. Routes are data: a method list, a path
// pattern, an auth class and a handler. The router answers 404 and 405,
// checks the cluster credential for `internal`, `admin` and `metrics` routes
// before any handler runs (a handler never checks it, so a new route cannot forget it),
// resolves the caller of `public` routes through a hook, and applies CORS to
// the routes that ask for it, preflight included.
//
// A route that answers GET answers HEAD too.
//
// Patterns: literal segments, `:name` for one non-empty segment, and a last
// `*name` for the rest of the path after its slash (slashes included,
// possibly empty: `/f/*id` matches `/f/` but not `/f`). Parameters are
// percent-decoded (bad encoding is 400 BAD_REQUEST) unless the route asks
// for them as sent.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { releaseBodyDeadline } from './body-deadline.js';
import { HoardError } from './protocol/errors.js';
import { AUTH_HEADER } from './protocol/routes.js';
import { STREAM_DIGEST, verifyClusterAuth } from './sign.js';

/**
 * - `public`: anyone; the `caller` hook says who (anonymous until accounts exist).
 * - `internal`: cluster peers, with the cluster credential.
 * - `admin`: the operator; today the same cluster credential, checked by the `admin` hook when one is given.
 * - `metrics`: the cluster credential, or the metrics bearer token a scraper
 *   sends. Never public: counters move when the tracker asks a node about a
 *   blob, so they would tell who holds what.
 */
export type AuthClass = 'public' | 'internal' | 'admin' | 'metrics';

export interface Matched<Caller> {
  url: URL;
  /** Decoded pattern parameters. */
  params: Record<string, string>;
  /** The route's pattern (a metrics label). */
  route: string;
  auth: AuthClass;
  /** Public routes: who is calling, as the caller hook resolved it. */
  caller?: Caller;
  /**
   * Internal and admin routes: the body SHA-256 the credential vouches for.
   * Readers of the body must check it (common/http.ts readJson's `digest`).
   */
  bodyDigest?: string;
}

export type RouteHandler<Caller> = (req: IncomingMessage, res: ServerResponse, m: Matched<Caller>) => Promise<void> | void;

export interface Route<Caller> {
  methods: readonly string[];
  path: string;
  auth: AuthClass;
  /** Cross-origin requests allowed (browser pages of other origins may call it). */
  cors?: boolean;
  /** Parameters as sent, still percent-encoded: the handler decodes them and answers bad encoding with its own error. */
  rawParams?: boolean;
  /** The handler holds the body to a rate floor of its own (uploads): the whole-body deadline does not apply. */
  pacedBody?: boolean;
  /**
   * Internal routes whose body is a stream (the write pipeline): the
   * credential carries STREAM_DIGEST instead of the body's digest, and the
   * handler checks the bytes itself. No other route accepts such a credential.
   */
  streamBody?: boolean;
  handle: RouteHandler<Caller>;
}

export interface CorsPolicy {
  /** `*` (any origin, as tus servers allow) or the exact origins allowed. */
  origins: '*' | readonly string[];
  /** Response headers a page may read. */
  expose: readonly string[];
  /** Request headers a page may send (answered on preflight). */
  allowHeaders: readonly string[];
  /** Seconds a browser may cache a preflight answer. */
  maxAgeS: number;
}

export interface RouterOptions<Caller> {
  /** The cluster secret for `internal` and `admin` routes. */
  secret: string;
  /** Resolves who calls a public route (runs before the handler). */
  caller: (req: IncomingMessage) => Caller | Promise<Caller>;
  /**
   * Optional extra check on admin routes after the cluster credential passed
   * (or instead of it, once accounts can be admins: return true to allow).
   */
  admin?: (req: IncomingMessage, credentialOk: boolean) => boolean | Promise<boolean>;
  cors: CorsPolicy;
  /** The bearer token `metrics` routes accept besides the cluster credential (none: the credential only). */
  metricsToken?: string;
  /**
   * Path prefixes where a stranger learns nothing: an unknown path or a
   * wrong method there is refused like the routes there, 401 without the
   * cluster credential rather than 404 or 405, so the routes cannot be mapped.
   */
  closedPrefixes?: readonly string[];
}

type Segment = { kind: 'lit'; value: string } | { kind: 'param'; name: string } | { kind: 'rest'; name: string };

interface Compiled<Caller> {
  route: Route<Caller>;
  segments: Segment[];
  /** Methods answered, HEAD included when listed. */
  methods: Set<string>;
}

function compile(path: string): Segment[] {
  if (!path.startsWith('/')) throw new Error(`route ${path} must start with /`);
  const parts = path.slice(1).split('/');
  return parts.map((p, i): Segment => {
    if (p.startsWith('*')) {
      if (i !== parts.length - 1) throw new Error(`route ${path}: * must be the last segment`);
      return { kind: 'rest', name: p.slice(1) };
    }
    if (p.startsWith(':')) return { kind: 'param', name: p.slice(1) };
    return { kind: 'lit', value: p };
  });
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HoardError('BAD_REQUEST', 'Path is not valid percent-encoding');
  }
}

/** Params of `pathname` for this pattern, or undefined when it does not match. */
function matchPath(segments: readonly Segment[], parts: readonly string[], dec: (raw: string) => string = decode): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.kind === 'rest') {
      if (parts.length <= i) return undefined;
      params[s.name] = dec(parts.slice(i).join('/'));
      return params;
    }
    const p = parts[i];
    if (p === undefined) return undefined;
    if (s.kind === 'lit') {
      if (p !== s.value) return undefined;
    } else {
      if (p === '') return undefined;
      params[s.name] = dec(p);
    }
  }
  return parts.length === segments.length ? params : undefined;
}

export interface Router<Caller> {
  /** The request handler (give it to common/http.ts createServer). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  /** The pattern a path belongs to, 'other' when none (metrics labels). */
  routeOf(pathname: string): string;
  readonly routes: readonly Route<Caller>[];
}

export function createRouter<Caller>(routes: readonly Route<Caller>[], opts: RouterOptions<Caller>): Router<Caller> {
  const compiled: Compiled<Caller>[] = routes.map((route) => ({ route, segments: compile(route.path), methods: new Set(route.methods) }));
  // Routes are tried in order within their first literal segment (the hot paths are a lookup and one or two tries).
  const byFirst = new Map<string, Compiled<Caller>[]>();
  const wild: Compiled<Caller>[] = [];
  for (const c of compiled) {
    const first = c.segments[0];
    if (first?.kind === 'lit') {
      const list = byFirst.get(first.value) ?? [];
      list.push(c);
      byFirst.set(first.value, list);
    } else {
      wild.push(c);
    }
  }

  /** Every route whose pattern matches, in declaration order, with its params. */
  const candidates = (pathname: string, dec?: (raw: string) => string): Array<[Compiled<Caller>, Record<string, string>]> => {
    const parts = pathname.slice(1).split('/');
    const out: Array<[Compiled<Caller>, Record<string, string>]> = [];
    for (const c of [...(byFirst.get(parts[0]!) ?? []), ...wild]) {
      const params = matchPath(c.segments, parts, dec ?? (c.route.rawParams ? (raw) => raw : decode));
      if (params) out.push([c, params]);
    }
    return out;
  };

  const allowOrigin = (origin: string | undefined): string | undefined => {
    if (origin === undefined) return undefined;
    if (opts.cors.origins === '*') return '*';
    return opts.cors.origins.includes(origin) ? origin : undefined;
  };

  const corsHeaders = (res: ServerResponse, origin: string | undefined): void => {
    const allowed = allowOrigin(origin);
    if (opts.cors.origins !== '*') res.setHeader('vary', 'Origin');
    if (allowed === undefined) return;
    res.setHeader('access-control-allow-origin', allowed);
    if (opts.cors.expose.length > 0) res.setHeader('access-control-expose-headers', opts.cors.expose.join(', '));
  };

  const preflight = (req: IncomingMessage, res: ServerResponse, matches: Array<[Compiled<Caller>, Record<string, string>]>): void => {
    const origin = header(req, 'origin');
    const wanted = (header(req, 'access-control-request-method') ?? '').toUpperCase();
    const methods = new Set<string>();
    for (const [c] of matches) if (c.route.cors) for (const m of c.methods) methods.add(m);
    const allowed = allowOrigin(origin);
    if (opts.cors.origins !== '*') res.setHeader('vary', 'Origin');
    if (allowed === undefined || !methods.has(wanted)) {
      // Not a failure of the server: the browser sees no CORS grant and stops.
      res.writeHead(204, { 'cache-control': 'no-store' });
      res.end();
      return;
    }
    res.writeHead(204, {
      'access-control-allow-origin': allowed,
      'access-control-allow-methods': [...methods].join(', '),
      'access-control-allow-headers': opts.cors.allowHeaders.join(', '),
      'access-control-max-age': String(opts.cors.maxAgeS),
      'cache-control': 'no-store',
    });
    res.end();
  };

  const credential = (req: IncomingMessage): string => {
    const h = req.headers[AUTH_HEADER];
    // The MAC covers the request target exactly as the client sent it.
    return verifyClusterAuth(opts.secret, req.method ?? '', req.url ?? '', typeof h === 'string' ? h : undefined);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const matches = candidates(url.pathname);
    const closed = opts.closedPrefixes?.some((p) => url.pathname.startsWith(p)) === true;
    if (matches.length === 0) {
      if (closed) credential(req);
      throw new HoardError('NOT_FOUND');
    }
    const method = req.method ?? '';
    if (method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined && matches.some(([c]) => c.route.cors)) {
      preflight(req, res, matches);
      return;
    }
    // HEAD is answered wherever GET is (Node sends the head of the GET answer, without its body).
    const hit = matches.find(([c]) => c.methods.has(method)) ?? (method === 'HEAD' ? matches.find(([c]) => c.methods.has('GET')) : undefined);
    if (!hit) {
      if (closed) credential(req);
      const allow = new Set<string>();
      for (const [c] of matches) for (const m of c.methods) allow.add(m);
      if (allow.has('GET')) allow.add('HEAD');
      res.setHeader('allow', [...allow].join(', '));
      if (matches.some(([c]) => c.route.cors)) corsHeaders(res, header(req, 'origin'));
      throw new HoardError('METHOD_NOT_ALLOWED');
    }
    const [c, params] = hit;
    const { route } = c;
    // Uploads and the write pipeline's streams are paced or checked by their handlers, not held to the whole-body deadline.
    if (route.pacedBody || route.streamBody) releaseBodyDeadline(req);
    const m: Matched<Caller> = { url, params, route: route.path, auth: route.auth };
    if (route.cors) corsHeaders(res, header(req, 'origin'));
    if (route.auth === 'public') {
      m.caller = await opts.caller(req);
    } else if (route.auth === 'internal') {
      m.bodyDigest = credential(req);
      if ((m.bodyDigest === STREAM_DIGEST) !== (route.streamBody === true)) {
        throw new HoardError('UNAUTHORIZED', route.streamBody ? 'This route takes a streamed body' : 'A streamed-body credential is not good here');
      }
    } else if (route.auth === 'metrics') {
      if (!bearerMatches(req, opts.metricsToken)) {
        const digest = credential(req);
        if (digest === STREAM_DIGEST) throw new HoardError('UNAUTHORIZED', 'A streamed-body credential is not good here');
        m.bodyDigest = digest;
      }
    } else {
      let digest: string | undefined;
      let credentialError: unknown;
      try {
        digest = credential(req);
      } catch (err) {
        credentialError = err;
      }
      if (digest === STREAM_DIGEST) {
        credentialError = new HoardError('UNAUTHORIZED', 'A streamed-body credential is not good here');
        digest = undefined;
      }
      const ok = opts.admin ? await opts.admin(req, digest !== undefined) : digest !== undefined;
      if (!ok) throw credentialError ?? new HoardError('UNAUTHORIZED');
      m.bodyDigest = digest;
    }
    await route.handle(req, res, m);
  }

  const names = new Map<string, string>();
  function routeOf(pathname: string): string {
    let name = names.get(pathname);
    if (name === undefined) {
      name = candidates(pathname, (raw) => raw)[0]?.[0].route.path ?? 'other';
      // Paths carry ids: only a bounded number of them is remembered.
      if (names.size >= 1024) names.clear();
      names.set(pathname, name);
    }
    return name;
  }

  return { handle, routeOf, routes };
}

/** `Authorization: Bearer <token>` with exactly `token` (compared in constant time). */
function bearerMatches(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return false;
  const m = /^Bearer +(\S+) *$/i.exec(header(req, 'authorization') ?? '');
  if (!m) return false;
  const sent = Buffer.from(m[1]!, 'utf8');
  const want = Buffer.from(token, 'utf8');
  return sent.length === want.length && timingSafeEqual(sent, want);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
