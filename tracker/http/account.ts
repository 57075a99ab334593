// The account routes under /api/account: register, sign in and out, who am
// I, API tokens, premium keys. Browsers sign in with a session cookie
// (HttpOnly, SameSite=Lax, Secure behind https); scripts with an API token
// (`hoard login` asks for one with `token`). docs/protocol.md has each route.
import type { ServerResponse } from 'node:http';
import { sendJson } from '../../common/http.js';
import { SESSION_COOKIE, type AccountInfo, type LimitsInfo, type TokenCreated, type TokenInfo } from '../../common/protocol/accounts.js';
import { HoardError } from '../../common/protocol/errors.js';
import { object, type Json } from '../../common/protocol/fields.js';
import { ThrottledError, type Minted } from '../accounts/accounts.js';
import { limitsOf } from '../accounts/limits.js';
import { tierOf } from '../accounts/tier.js';
import type { Tier } from '../../common/protocol/tiers.js';
import type { CredentialRecord, UserRecord } from '../meta/store.js';
import type { TrackerContext } from '../context.js';
import { readBody } from './body.js';
import type { Match, RouteHandler } from './handler.js';

/** The signed-in account of a request, or UNAUTHENTICATED. */
export function signedIn(m: Match): { userId: string; via?: 'session' | 'token'; credentialId?: string } {
  const c = m.caller;
  if (c?.kind !== 'user') throw new HoardError('UNAUTHENTICATED');
  return c;
}

/** A tier's limits on the wire (null: none). */
export function limitsInfo(ctx: TrackerContext, tier: Tier): LimitsInfo {
  const l = limitsOf(ctx.config, tier);
  const info: LimitsInfo = { uploadSize: l.uploadSize ?? null, downloadSize: l.downloadSize ?? null };
  // Storage is an account's: anonymous uploads belong to nobody and count against nothing.
  if (tier !== 'anonymous') info.storage = l.storage ?? null;
  return info;
}

/** The account as its owner sees it. */
export async function accountInfo(ctx: TrackerContext, user: UserRecord, via?: 'session' | 'token'): Promise<AccountInfo> {
  const tier = tierOf(user, ctx.now());
  const info: AccountInfo = {
    tier,
    limits: limitsInfo(ctx, tier),
    id: user.id,
    name: user.name,
    created: user.created,
    usedBytes: await ctx.store.accounts.usage(user.id),
  };
  if (user.premiumUntil !== undefined) info.premiumUntil = user.premiumUntil;
  if (via !== undefined) info.via = via;
  return info;
}

const tokenInfo = (c: CredentialRecord): TokenInfo => ({ id: c.id, name: c.name ?? '', created: c.created, expires: c.expires });

export function sessionCookie(ctx: TrackerContext, value: string, maxAgeS: number): string {
  const secure = ctx.publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax${secure}`;
}

async function body(req: Parameters<RouteHandler>[1], res: ServerResponse, m: Match): Promise<Json> {
  return object(await readBody(req, res, m));
}

async function currentUser(ctx: TrackerContext, userId: string): Promise<UserRecord> {
  const user = await ctx.store.accounts.user(userId);
  if (!user) throw new HoardError('UNAUTHENTICATED');
  return user;
}

/** GET /api/account: who am I (anonymous callers too). */
export const accountRoute: RouteHandler = async (ctx, _req, res, m) => {
  const c = m.caller!;
  if (c.kind !== 'user') {
    sendJson(res, 200, { tier: 'anonymous', limits: limitsInfo(ctx, 'anonymous') } satisfies AccountInfo);
    return;
  }
  sendJson(res, 200, await accountInfo(ctx, await currentUser(ctx, c.userId), c.via));
};

/** POST /api/account/register {name, password}: a free account. */
export const accountRegisterRoute: RouteHandler = async (ctx, req, res, m) => {
  const b = await body(req, res, m);
  const user = await ctx.accounts.create(b.name, b.password);
  ctx.log.info({ user: user.id, name: user.name }, 'account registered');
  sendJson(res, 201, await accountInfo(ctx, user));
};

/**
 * POST /api/account/login {name, password[, token]}: a session cookie, or
 * with `token` (its name) an API token in the body and no cookie.
 */
export const loginRoute: RouteHandler = async (ctx, req, res, m) => {
  const b = await body(req, res, m);
  if (b.token !== undefined && typeof b.token !== 'string') throw new HoardError('BAD_REQUEST', 'token must be a name for the token');
  let r: Minted & { user: UserRecord };
  try {
    r = await ctx.accounts.login(b.name, b.password, m.caller?.ip ?? '', b.token);
  } catch (err) {
    if (err instanceof ThrottledError) res.setHeader('retry-after', String(Math.ceil(err.waitMs / 1000)));
    throw err;
  }
  if (b.token !== undefined) {
    sendJson(res, 200, { ...tokenInfo(r.credential), token: r.value } satisfies TokenCreated);
    return;
  }
  res.setHeader('set-cookie', sessionCookie(ctx, r.value, ctx.config.sessionTtl));
  sendJson(res, 200, await accountInfo(ctx, r.user, 'session'));
};

/** POST /api/account/logout: ends the session (and clears its cookie) or revokes the token the request carries. */
export const logoutRoute: RouteHandler = async (ctx, _req, res, m) => {
  const c = signedIn(m);
  if (c.credentialId !== undefined) await ctx.accounts.revoke(c.credentialId);
  if (c.via === 'session') res.setHeader('set-cookie', sessionCookie(ctx, '', 0));
  res.writeHead(204, { 'cache-control': 'no-store' });
  res.end();
};

/** GET /api/account/tokens: the caller's API tokens (ids and names, never the tokens). */
export const tokensRoute: RouteHandler = async (ctx, _req, res, m) => {
  sendJson(res, 200, (await ctx.accounts.tokens(signedIn(m).userId)).map(tokenInfo));
};

/** POST /api/account/tokens {name[, ttl]}: a new API token, shown once. */
export const tokenCreateRoute: RouteHandler = async (ctx, req, res, m) => {
  const { userId } = signedIn(m);
  const b = await body(req, res, m);
  if (b.ttl !== undefined && typeof b.ttl !== 'number') throw new HoardError('BAD_REQUEST', 'ttl must be a number of seconds');
  const r = await ctx.accounts.createToken(userId, b.name, b.ttl);
  sendJson(res, 201, { ...tokenInfo(r.credential), token: r.value } satisfies TokenCreated);
};

/** DELETE /api/account/tokens/<id>: revokes one of the caller's tokens. */
export const tokenRevokeRoute: RouteHandler = async (ctx, _req, res, m) => {
  await ctx.accounts.revokeToken(signedIn(m).userId, m.params.id ?? '');
  res.writeHead(204, { 'cache-control': 'no-store' });
  res.end();
};

/** POST /api/account/redeem {key}: a premium key's days added to the caller's premium. */
export const redeemRoute: RouteHandler = async (ctx, req, res, m) => {
  const c = signedIn(m);
  const b = await body(req, res, m);
  const user = await ctx.accounts.redeem(c.userId, b.key);
  ctx.log.info({ user: user.id, premiumUntil: user.premiumUntil }, 'premium key redeemed');
  sendJson(res, 200, await accountInfo(ctx, user, c.via));
};
