// GET /internal/admin/repair → RepairStatus: the repair backlog as a dry run
// of the plan over every blob, tasks running now, and totals since start.
import { sendJson } from '../../common/http.js';
import type { RouteHandler } from './handler.js';

export const adminRepair: RouteHandler = async (ctx, _req, res) => {
  sendJson(res, 200, await ctx.replication.status());
};
