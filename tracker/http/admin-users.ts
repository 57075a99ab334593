// The operator's account routes (cluster credential, as every admin route):
// list, create, show with usage, set a tier, disable, delete, and premium
// keys. hoard-admin users|keys call them.
import { sendJson } from '../../common/http.js';
import type { UserInfo } from '../../common/protocol/accounts.js';
import { HoardError } from '../../common/protocol/errors.js';
import { object } from '../../common/protocol/fields.js';
import { tierOf } from '../accounts/tier.js';
import type { UserRecord } from '../meta/store.js';
import { deleteLink } from '../meta/operations.js';
import { trackerMetrics } from '../metrics.js';
import type { TrackerContext } from '../context.js';
import { limitsInfo } from './account.js';
import { readBody, readOptionalBody } from './body.js';
import type { RouteHandler } from './handler.js';
import { page } from './validate.js';
import { appendAudit } from '../meta/audit.js';
import { actorOf } from './takedowns.js';

const DAY_MS = 86_400_000;
const USER_ID_RE = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_KEYS = 1000;

export async function userInfo(ctx: TrackerContext, user: UserRecord): Promise<UserInfo> {
  const [usedBytes, creds] = await Promise.all([ctx.store.accounts.usage(user.id), ctx.store.accounts.credentialsOf(user.id)]);
  const now = ctx.now();
  const live = creds.filter((c) => Date.parse(c.expires) > now);
  const tier = tierOf(user, now);
  const info: UserInfo = {
    id: user.id,
    name: user.name,
    tier,
    limits: limitsInfo(ctx, tier),
    accountTier: user.tier,
    disabled: user.disabled === true,
    created: user.created,
    usedBytes,
    tokens: live.filter((c) => c.kind === 'token').length,
    sessions: live.filter((c) => c.kind === 'session').length,
  };
  if (user.premiumUntil !== undefined) info.premiumUntil = user.premiumUntil;
  return info;
}

async function named(ctx: TrackerContext, name: string | undefined): Promise<UserRecord> {
  const user = name === undefined ? undefined : await ctx.store.accounts.userByName(name);
  if (!user) throw new HoardError('USER_NOT_FOUND', `No account named ${JSON.stringify(name)}`);
  return user;
}

/** GET /internal/admin/users[?after=ID&limit=N]: accounts in id order. */
export const adminUsers: RouteHandler = async (ctx, _req, res, m) => {
  const users = await ctx.store.accounts.users(page(m.url, USER_ID_RE));
  sendJson(res, 200, await Promise.all(users.map((u) => userInfo(ctx, u))));
};

/** POST /internal/admin/users {name, password[, tier: free|admin]}. */
export const adminUserCreate: RouteHandler = async (ctx, req, res, m) => {
  const b = object(await readBody(req, res, m));
  const tier = b.tier ?? 'free';
  if (tier !== 'free' && tier !== 'admin') throw new HoardError('BAD_REQUEST', 'tier must be free or admin (premium is set with PATCH and days)');
  const user = await ctx.accounts.create(b.name, b.password, tier);
  await appendAudit(ctx.store, ctx.now(), { actor: actorOf(req), action: 'user.create', target: user.name, detail: `tier ${tier}` });
  ctx.log.info({ user: user.id, name: user.name, tier }, 'account created by the operator');
  sendJson(res, 201, await userInfo(ctx, user));
};

/** GET /internal/admin/users/<name>: the account with its usage against its quota. */
export const adminUserShow: RouteHandler = async (ctx, _req, res, m) => {
  const user = await named(ctx, m.params.name);
  // One account only: the audit reads its whole ledger.
  sendJson(res, 200, { ...(await userInfo(ctx, user)), points: await ctx.rewards.audit(user.id) });
};

/**
 * PATCH /internal/admin/users/<name> with any of
 *   {tier: 'free'} (premium ends now), {tier: 'premium', days: N} (premium for N days from now),
 *   {tier: 'admin'}, {disabled: true|false} (disabling also ends its sessions and tokens).
 */
export const adminUserUpdate: RouteHandler = async (ctx, req, res, m) => {
  const user = await named(ctx, m.params.name);
  const b = object(await readBody(req, res, m));
  if (b.tier === undefined && b.disabled === undefined) throw new HoardError('BAD_REQUEST', 'Give tier and/or disabled');
  if (b.tier !== undefined && !['free', 'premium', 'admin'].includes(b.tier as string)) throw new HoardError('BAD_REQUEST', 'tier must be free, premium or admin');
  if (b.tier === 'premium' && (typeof b.days !== 'number' || !Number.isSafeInteger(b.days) || b.days < 1 || b.days > 36_500)) {
    throw new HoardError('BAD_REQUEST', 'premium needs days (1-36500)');
  }
  if (b.disabled !== undefined && typeof b.disabled !== 'boolean') throw new HoardError('BAD_REQUEST', 'disabled must be true or false');
  const now = ctx.now();
  const after = await ctx.store.accounts.updateUser(user.id, (u) => {
    const next: UserRecord = { ...u };
    if (b.tier === 'admin') next.tier = 'admin';
    if (b.tier === 'free') {
      next.tier = 'free';
      delete next.premiumUntil;
    }
    if (b.tier === 'premium') {
      next.tier = 'free';
      next.premiumUntil = new Date(now + (b.days as number) * DAY_MS).toISOString();
    }
    if (b.disabled === true) next.disabled = true;
    if (b.disabled === false) delete next.disabled;
    return next;
  });
  if (!after) throw new HoardError('USER_NOT_FOUND');
  if (b.disabled === true) for (const c of await ctx.store.accounts.credentialsOf(user.id)) await ctx.accounts.revoke(c.id);
  const actor = actorOf(req);
  if (b.tier !== undefined) await appendAudit(ctx.store, now, { actor, action: 'user.tier', target: user.name, detail: b.tier === 'premium' ? `premium for ${b.days as number} days` : String(b.tier) });
  if (b.disabled !== undefined) await appendAudit(ctx.store, now, { actor, action: b.disabled ? 'user.disable' : 'user.enable', target: user.name });
  ctx.log.info({ user: user.id, tier: b.tier, disabled: b.disabled }, 'account changed by the operator');
  sendJson(res, 200, await userInfo(ctx, after));
};

/**
 * DELETE /internal/admin/users/<name>: the account, its sessions and tokens
 * go. Its links stay (they become links without an account); delete them
 * first with DELETE /api/links/<id> if they must go too.
 */
export const adminUserDelete: RouteHandler = async (ctx, req, res, m) => {
  await readOptionalBody(req, res, m);
  const user = await named(ctx, m.params.name);
  // The account's files go with it (their blobs to GC when no other link names them), then the account.
  let links = 0;
  for (;;) {
    const batch = await ctx.store.links.ofUploader(user.id, { limit: 500 });
    if (batch.length === 0) break;
    const now = new Date(ctx.now()).toISOString();
    const before = links;
    for (const l of batch) if (await deleteLink(ctx.store, l.id, now)) links++;
    if (links === before) break;
  }
  if (links > 0) trackerMetrics.linksDeleted().inc(links);
  await ctx.store.accounts.deleteUser(user.id);
  await appendAudit(ctx.store, ctx.now(), { actor: actorOf(req), action: 'user.delete', target: user.name, detail: links > 0 ? `${links} link(s) deleted with it` : undefined });
  ctx.log.info({ user: user.id, name: user.name, links }, 'account deleted by the operator');
  res.writeHead(204, { 'cache-control': 'no-store' });
  res.end();
};

/** POST /internal/admin/keys {count, days}: premium keys, shown once. */
export const adminKeysCreate: RouteHandler = async (ctx, req, res, m) => {
  const b = object(await readBody(req, res, m));
  const count = b.count ?? 1;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > MAX_KEYS) throw new HoardError('BAD_REQUEST', `count must be 1-${MAX_KEYS}`);
  if (typeof b.days !== 'number' || !Number.isSafeInteger(b.days) || b.days < 1 || b.days > 36_500) throw new HoardError('BAD_REQUEST', 'days must be 1-36500');
  const keys = await ctx.accounts.createKeys(count, b.days);
  await appendAudit(ctx.store, ctx.now(), { actor: actorOf(req), action: 'keys.create', target: `${count} key(s)`, detail: `${b.days} days each` });
  ctx.log.info({ count, days: b.days }, 'premium keys created');
  sendJson(res, 201, { keys, days: b.days });
};
