// GET /admin: the cluster page (drawn in tracker/web/admin-page.ts) for a
// signed-in administrator; a refusal for anyone else.
import { HoardError } from '../../common/protocol/errors.js';
import { renderAdminPage } from '../web/admin-page.js';
import { renderErrorPage } from '../web/error-page.js';
import { wantsHtml } from '../web/negotiate.js';
import { sendPage } from '../web/send.js';
import { clusterStats } from './admin.js';
import type { RouteHandler } from './handler.js';
import { shellFor } from './pages.js';

/** The cluster page: the figures of `hoard-admin nodes`, `stats`, `repair` and `takedown list`, for an administrator's browser. */
export const adminPageRoute: RouteHandler = async (ctx, req, res, m) => {
  const shell = shellFor(ctx, m.caller);
  if (m.caller?.tier !== 'admin') {
    // A browser gets the refusal in words; a script the JSON error, as everywhere else.
    if (!wantsHtml(req)) throw new HoardError('ADMIN_ONLY');
    const page = renderErrorPage(shell, new HoardError('ADMIN_ONLY'));
    sendPage(req, res, page.status, page.body, { headers: { vary: 'Accept' } });
    return;
  }
  const [stats, repair] = await Promise.all([clusterStats(ctx), ctx.replication.status()]);
  const takedowns = ctx.takedowns.book.notices().map((n) => ctx.takedowns.desk.info(n));
  sendPage(req, res, 200, renderAdminPage(shell, { nodes: ctx.topology.list(), stats, repair, takedowns }));
};
