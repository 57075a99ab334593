// GET /api/status: public JSON on the download policy as it stands for the
// caller: whether the happy hour runs and until when (or when it starts
// next), the caller's tier and what that tier may do right now.
import { sendJson } from '../../common/http.js';
import type { StatusAnswer } from '../../common/protocol/types.js';
import type { RouteHandler } from './handler.js';

export const statusRoute: RouteHandler = (ctx, _req, res, m) => {
  const desk = ctx.downloads;
  const happy = desk.happyHour();
  const tier = m.caller!.tier;
  const limits = desk.limits(tier, happy);
  const iso = (ms: number): string => new Date(ms).toISOString();
  const body: StatusAnswer = {
    time: iso(desk.now()),
    happyHour: {
      on: happy.on,
      ...(happy.on && happy.window ? { until: iso(happy.window.end) } : {}),
      ...(!happy.on && happy.window ? { next: iso(happy.window.start) } : {}),
      tiers: [...desk.policy.happyTiers],
    },
    caller: { tier, limits: { rate: limits.rate, concurrent: limits.oneAtATime ? 1 : 0 } },
  };
  // The answer changes with the clock and the caller.
  sendJson(res, 200, body, { 'cache-control': 'no-store' });
};
