// Who calls a public route. Every public handler and the upload policy
// receive a Caller: anonymous (known by address) or a signed-in user (a
// browser session or an API token). `tier` is the user's tier as it stands
// now (a premium account past its expiry is `free`).
//
// Signing in: `Authorization: Bearer <token>` (an API token; a bad one is
// refused, 401 CREDENTIAL_INVALID, rather than quietly made anonymous), else
// the session cookie (a stale one is ignored: the request goes on as
// anonymous). A state-changing request signed in by the cookie must carry
// the tracker's own Origin or X-Hoard-Csrf: 1 (403 CSRF_REFUSED): a
// cross-site form can do neither.
import type { IncomingMessage } from 'node:http';
import { CSRF_HEADER, SESSION_COOKIE } from '../../common/protocol/accounts.js';
import { HoardError } from '../../common/protocol/errors.js';
import type { Tier } from '../../common/protocol/tiers.js';
import type { Accounts } from '../accounts/accounts.js';
import { tierOf } from '../accounts/tier.js';
import { clientAddress } from './client-address.js';

export type Caller =
  | { kind: 'anonymous'; ip: string; tier: 'anonymous' }
  | {
      kind: 'user';
      ip: string;
      userId: string;
      /** The account's name, as pages greet it. */
      name?: string;
      tier: Exclude<Tier, 'anonymous'>;
      /** How the request signed in, and the session's or token's id (what logout ends). */
      via?: 'session' | 'token';
      credentialId?: string;
    };

/** One key per downloader for per-caller limits: the account when signed in, else the address. */
export const callerKey = (c: Caller): string => (c.kind === 'user' ? `user:${c.userId}` : `ip:${c.ip}`);

/** Every caller as anonymous, by the connecting address (the router's caller hook in tests without accounts). */
export function resolveCaller(req: IncomingMessage): Caller {
  return { kind: 'anonymous', ip: clientAddress(req, NO_PROXIES), tier: 'anonymous' };
}

const NO_PROXIES: ReadonlySet<string> = new Set();

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie in the request's Cookie header. */
export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headers.cookie;
  if (raw === undefined) return undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether a cookie-signed request comes from the tracker's own pages or a script that set the custom header. */
export function passesCsrf(req: IncomingMessage, publicUrl: string): boolean {
  if (SAFE_METHODS.has(req.method ?? '')) return true;
  if (req.headers[CSRF_HEADER] === '1') return true;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return false;
  try {
    return new URL(publicUrl).origin === origin;
  } catch {
    return false;
  }
}

export interface CallerDeps {
  accounts: Accounts;
  /** The tracker's base URL as clients see it (read per request: it is known once the port is). */
  publicUrl: () => string;
  now: () => number;
  /** Reverse proxies whose X-Forwarded-For names the client (config trustedProxies). */
  trustedProxies: ReadonlySet<string>;
  /** Told every signed-in caller's address (the reward rules know an uploader's own addresses by it). */
  seen: (userId: string, ip: string) => void;
}

/** The router's caller hook with accounts behind it. */
export function callerResolver(deps: CallerDeps): (req: IncomingMessage) => Promise<Caller> {
  return async (req) => {
    const ip = clientAddress(req, deps.trustedProxies);
    const auth = req.headers.authorization;
    if (auth !== undefined && /^bearer /i.test(auth)) {
      const found = await deps.accounts.authenticate(auth.slice(7).trim(), 'token');
      if (!found) throw new HoardError('CREDENTIAL_INVALID');
      deps.seen(found.user.id, ip);
      return { kind: 'user', ip, userId: found.user.id, name: found.user.name, tier: tierOf(found.user, deps.now()), via: 'token', credentialId: found.credential.id };
    }
    const cookie = cookieValue(req, SESSION_COOKIE);
    if (cookie !== undefined) {
      const found = await deps.accounts.authenticate(cookie, 'session');
      if (found) {
        if (!passesCsrf(req, deps.publicUrl())) throw new HoardError('CSRF_REFUSED');
        deps.seen(found.user.id, ip);
        return { kind: 'user', ip, userId: found.user.id, name: found.user.name, tier: tierOf(found.user, deps.now()), via: 'session', credentialId: found.credential.id };
      }
    }
    return { kind: 'anonymous', ip, tier: 'anonymous' };
  };
}
