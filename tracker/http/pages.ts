// The site's routes: the upload page at `/` and the bundle's files under
// /assets/. The pages themselves are drawn in tracker/web/; here they get
// what they show (config, the nodes uploads may go to, who is visiting).
import { HoardError } from '../../common/protocol/errors.js';
import type { TrackerContext } from '../context.js';
import { originsOf, WORKER_CSP } from '../web/csp.js';
import type { Shell } from '../web/layout.js';
import { sendPage } from '../web/send.js';
import { renderUploadPage } from '../web/upload-page.js';
import type { Caller } from './caller.js';
import type { RouteHandler } from './handler.js';

/** The shell of every page for this visitor: who is signed in, and whether the cluster page is theirs to see. */
export function shellFor(ctx: TrackerContext, caller: Caller | undefined): Shell {
  if (caller?.kind !== 'user') return { assets: ctx.web };
  return { assets: ctx.web, visitor: { name: caller.name ?? caller.userId, admin: caller.tier === 'admin' } };
}

/** Origins of the storage nodes a page's uploads may be sent to (tus PATCHes go to a node). */
export function nodeOrigins(ctx: TrackerContext): string[] {
  return originsOf(ctx.topology.list().map((n) => n.publicUrl));
}

export const uploadPageRoute: RouteHandler = (ctx, req, res, m) => {
  const body = renderUploadPage(shellFor(ctx, m.caller), { publicUrl: ctx.publicUrl, chunkSize: ctx.config.webChunkSize, maxUploadSize: ctx.config.maxUploadSize });
  sendPage(req, res, 200, body, { connect: nodeOrigins(ctx), cache: 'no-cache' });
};

/** A year: an asset's name changes with its content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export const assetRoute: RouteHandler = (ctx, req, res, m) => {
  const file = ctx.web.file(m.params.name!);
  if (!file) throw new HoardError('NOT_FOUND', 'No such asset');
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': file.body.length,
    'cache-control': IMMUTABLE,
    'x-content-type-options': 'nosniff',
    // What a worker may do is set by its own script's answer; other assets ignore it.
    'content-security-policy': WORKER_CSP,
    'cross-origin-resource-policy': 'same-origin',
  });
  res.end(req.method === 'HEAD' ? undefined : file.body);
};
