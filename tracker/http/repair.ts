// GET /internal/admin/repair → RepairStatus: the repair backlog as a dry run
// of the plan over every blob, tasks running now, and totals since start.
import { HoardError } from '../../common/protocol/errors.js';
import { sendJson } from '../../common/http.js';
import type { RouteHandler } from './handler.js';

export const adminRepair: RouteHandler = async (ctx, _req, res) => {
  if (!ctx.replication) throw new HoardError('NOT_FOUND', 'replication is not configured in this tracker');
  sendJson(res, 200, await ctx.replication.status());
};
