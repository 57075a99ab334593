// GET /health: the process is up and answering.
import { sendJson } from '../../common/http.js';
import type { RouteHandler } from './handler.js';

export const healthRoute: RouteHandler = (_ctx, _req, res) => {
  sendJson(res, 200, { ok: true });
};
