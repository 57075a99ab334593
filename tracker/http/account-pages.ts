// The account pages' routes: /login (sign in, create an account), /logout,
// /account and its forms (API tokens, premium keys, reward points, deleting one's files).
// Forms post here as a browser sends them without a script; each answer is
// a page, or a 303 to the next page. A script asking these routes (no
// text/html in Accept) gets the JSON error, as everywhere else; scripts have
// the JSON routes under /api/account.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoardError, toHoardError } from '../../common/protocol/errors.js';
import { LINK_ID_RE } from '../../common/protocol/ids.js';
import { ThrottledError } from '../accounts/accounts.js';
import type { TrackerContext } from '../context.js';
import { deleteLink } from '../meta/operations.js';
import { trackerMetrics } from '../metrics.js';
import { renderAccountPage, renderLoginPage, type AccountView, type FileRow, type LoginView } from '../web/account-page.js';
import { wantsHtml } from '../web/negotiate.js';
import { sendPage } from '../web/send.js';
import { accountInfo, sessionCookie } from './account.js';
import { passesCsrf } from './caller.js';
import { readForm } from './form.js';
import type { Match, RouteHandler } from './handler.js';
import { linkInfo } from './links.js';
import { shellFor } from './pages.js';

/** Files the account page lists at most. */
const FILES_SHOWN = 200;

function seeOther(res: ServerResponse, where: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location: where, 'cache-control': 'no-store', 'content-length': 0, ...headers });
  res.end();
}

/** The signed-in account's id, or undefined for an anonymous visitor. */
const userOf = (m: Match): string | undefined => (m.caller?.kind === 'user' ? m.caller.userId : undefined);

/** A form that is not signed in by a cookie (sign in, register) still has to come from this site's pages. */
function checkOrigin(ctx: TrackerContext, req: IncomingMessage): void {
  if (!passesCsrf(req, ctx.publicUrl)) throw new HoardError('CSRF_REFUSED');
}

function refusal(err: unknown, res: ServerResponse): { status: number; message: string } {
  if (err instanceof ThrottledError) res.setHeader('retry-after', String(Math.ceil(err.waitMs / 1000)));
  const e = toHoardError(err);
  return { status: e.status, message: e.message };
}

function sendLogin(ctx: TrackerContext, req: IncomingMessage, res: ServerResponse, m: Match, status: number, view: LoginView): void {
  sendPage(req, res, status, renderLoginPage(shellFor(ctx, m.caller), view));
}

export const loginPageRoute: RouteHandler = (ctx, req, res, m) => {
  if (userOf(m) !== undefined) return seeOther(res, '/account');
  sendLogin(ctx, req, res, m, 200, {});
};

/** POST /login and POST /register: the form, then a session cookie and the account page; the form again with the reason when refused. */
function signInForm(form: 'login' | 'register'): RouteHandler {
  return async (ctx, req, res, m) => {
    if (!wantsHtml(req)) throw new HoardError('NOT_FOUND', 'Forms for browsers; scripts use /api/account');
    let name = '';
    try {
      checkOrigin(ctx, req);
      const f = await readForm(req, res);
      name = f.get('name') ?? '';
      const password = f.get('password') ?? '';
      if (form === 'register') {
        const user = await ctx.accounts.create(name, password);
        ctx.log.info({ user: user.id, name: user.name }, 'account registered');
      }
      const r = await ctx.accounts.login(name, password, m.caller?.ip ?? '');
      seeOther(res, '/account', { 'set-cookie': sessionCookie(ctx, r.value, ctx.config.sessionTtl) });
    } catch (err) {
      const { status, message } = refusal(err, res);
      if (status >= 500) throw err;
      sendLogin(ctx, req, res, m, status, { form, name: name.slice(0, 64), error: message });
    }
  };
}

export const loginFormRoute = signInForm('login');
export const registerFormRoute = signInForm('register');

export const logoutFormRoute: RouteHandler = async (ctx, req, res, m) => {
  checkOrigin(ctx, req);
  const c = m.caller;
  if (c?.kind === 'user' && c.via === 'session' && c.credentialId !== undefined) await ctx.accounts.revoke(c.credentialId);
  seeOther(res, '/', { 'set-cookie': sessionCookie(ctx, '', 0) });
};

async function accountView(ctx: TrackerContext, userId: string, extra: Partial<AccountView> = {}): Promise<AccountView> {
  const user = await ctx.store.accounts.user(userId);
  if (!user) throw new HoardError('UNAUTHENTICATED');
  const links = await ctx.store.links.ofUploader(userId, { limit: FILES_SHOWN + 1 });
  const shown = links.slice(0, FILES_SHOWN);
  const downloads = await ctx.store.downloadCounts.of(shown.map((l) => l.id));
  const files: FileRow[] = [];
  for (const l of shown) {
    const blob = await ctx.store.blobs.get(l.blobId);
    if (!blob) continue;
    const info = linkInfo(ctx, l, blob);
    files.push({ id: l.id, filename: l.filename, size: info.size, created: l.created, link: info.link, downloads: downloads.get(l.id) ?? 0 });
  }
  return {
    info: await accountInfo(ctx, user),
    files,
    moreFiles: links.length > FILES_SHOWN,
    tokens: await ctx.accounts.tokens(userId).then((ts) => ts.map((c) => ({ id: c.id, name: c.name ?? '', created: c.created, expires: c.expires }))),
    points: await ctx.rewards.account(userId),
    ...extra,
  };
}

function sendAccount(ctx: TrackerContext, req: IncomingMessage, res: ServerResponse, m: Match, status: number, view: AccountView): void {
  sendPage(req, res, status, renderAccountPage(shellFor(ctx, m.caller), view));
}

export const accountPageRoute: RouteHandler = async (ctx, req, res, m) => {
  const userId = userOf(m);
  if (userId === undefined) return seeOther(res, '/login');
  sendAccount(ctx, req, res, m, 200, await accountView(ctx, userId));
};

/** A form on the account page: `act` does it and says what happened; a refusal shows on the page with its status. */
function accountForm(act: (ctx: TrackerContext, userId: string, form: URLSearchParams, m: Match) => Promise<Partial<AccountView>>): RouteHandler {
  return async (ctx, req, res, m) => {
    const userId = userOf(m);
    if (userId === undefined) {
      if (!wantsHtml(req)) throw new HoardError('UNAUTHENTICATED');
      return seeOther(res, '/login');
    }
    let outcome: Partial<AccountView>;
    let status = 200;
    try {
      outcome = await act(ctx, userId, await readForm(req, res), m);
    } catch (err) {
      const r = refusal(err, res);
      if (r.status >= 500 || !wantsHtml(req)) throw err;
      status = r.status;
      outcome = { error: r.message };
    }
    sendAccount(ctx, req, res, m, status, await accountView(ctx, userId, outcome));
  };
}

export const tokenFormRoute = accountForm(async (ctx, userId, form) => {
  const r = await ctx.accounts.createToken(userId, form.get('name') ?? '');
  return { newToken: r.value, notice: `Token “${r.credential.name ?? ''}” created. It is shown below once: copy it now.` };
});

export const tokenRevokeFormRoute = accountForm(async (ctx, userId, _form, m) => {
  await ctx.accounts.revokeToken(userId, m.params.id ?? '');
  return { notice: 'Token revoked.' };
});

export const redeemFormRoute = accountForm(async (ctx, userId, form) => {
  const user = await ctx.accounts.redeem(userId, form.get('key') ?? '');
  ctx.log.info({ user: user.id, premiumUntil: user.premiumUntil }, 'premium key redeemed');
  return { notice: `Premium key redeemed: premium until ${user.premiumUntil ?? ''}.` };
});

export const pointsRedeemFormRoute = accountForm(async (ctx, userId, form) => {
  const raw = form.get('days') ?? '';
  const days = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(days >= 1)) throw new HoardError('BAD_REQUEST', 'Premium days must be a whole number, 1 or more');
  const r = await ctx.rewards.redeem(userId, days);
  return { notice: `${r.points} points redeemed for ${r.days} premium day${r.days === 1 ? '' : 's'}: premium until ${r.premiumUntil}.` };
});

export const fileDeleteFormRoute = accountForm(async (ctx, userId, _form, m) => {
  const id = m.params.id ?? '';
  const link = LINK_ID_RE.test(id) ? await ctx.store.links.get(id) : undefined;
  // Someone else's link is answered as a missing one: the page does not tell whose it is.
  if (!link || link.uploader !== userId) throw new HoardError('LINK_NOT_FOUND');
  const r = await deleteLink(ctx.store, id, new Date(ctx.now()).toISOString());
  if (!r) throw new HoardError('LINK_NOT_FOUND');
  trackerMetrics.linksDeleted().inc();
  ctx.log.info({ link: id, user: userId, blob: r.link.blobId }, 'link deleted by its uploader');
  return { notice: `Deleted “${link.filename}”. Its link no longer works.` };
});
