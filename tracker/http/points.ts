// Reward points of the signed-in account: GET /api/account/points (balance
// and ledger), POST /api/account/points/redeem {days} (points for premium
// days). docs/rewards.md has the rules, docs/protocol.md the routes.
import { sendJson } from '../../common/http.js';
import { HoardError } from '../../common/protocol/errors.js';
import { int, object } from '../../common/protocol/fields.js';
import { signedIn } from './account.js';
import { readBody } from './body.js';
import type { RouteHandler } from './handler.js';

/** A ledger page key: day:id. */
const AFTER_RE = /^\d{4}-\d{2}-\d{2}:[A-Za-z0-9_-]{1,128}$/;

export const pointsRoute: RouteHandler = async (ctx, _req, res, m) => {
  const c = signedIn(m);
  const after = m.url.searchParams.get('after') ?? undefined;
  if (after !== undefined && !AFTER_RE.test(after)) throw new HoardError('BAD_REQUEST', 'after must be the next value of a previous page');
  sendJson(res, 200, await ctx.rewards.account(c.userId, after));
};

export const pointsRedeemRoute: RouteHandler = async (ctx, req, res, m) => {
  const c = signedIn(m);
  const days = int(object(await readBody(req, res, m)), 'days', 1, 36_500);
  sendJson(res, 200, await ctx.rewards.redeem(c.userId, days));
};
