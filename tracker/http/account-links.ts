// GET /api/account/links: the signed-in account's files, a page at a time,
// each with its complete downloads (docs/protocol.md).
import { sendJson } from '../../common/http.js';
import { ACCOUNT_LINKS_PAGE, type AccountLink, type AccountLinks } from '../../common/protocol/accounts.js';
import { HoardError } from '../../common/protocol/errors.js';
import { LINK_ID_RE } from '../../common/protocol/ids.js';
import { signedIn } from './account.js';
import type { RouteHandler } from './handler.js';
import { linkInfo } from './links.js';

export const accountLinksRoute: RouteHandler = async (ctx, _req, res, m) => {
  const c = signedIn(m);
  const after = m.url.searchParams.get('after') ?? undefined;
  if (after !== undefined && !LINK_ID_RE.test(after)) throw new HoardError('BAD_REQUEST', 'after must be the next value of a previous page');
  const page = await ctx.store.links.ofUploader(c.userId, { limit: ACCOUNT_LINKS_PAGE + 1, ...(after === undefined ? {} : { after }) });
  const shown = page.slice(0, ACCOUNT_LINKS_PAGE);
  const [downloads, blobs] = await Promise.all([ctx.store.downloadCounts.of(shown.map((l) => l.id)), Promise.all(shown.map((l) => ctx.store.blobs.get(l.blobId)))]);
  const links: AccountLink[] = [];
  shown.forEach((l, i) => {
    const blob = blobs[i];
    if (blob) links.push({ ...linkInfo(ctx, l, blob), downloads: downloads.get(l.id) ?? 0 });
  });
  const body: AccountLinks = { links };
  if (page.length > ACCOUNT_LINKS_PAGE) body.next = shown.at(-1)!.id;
  sendJson(res, 200, body);
};
