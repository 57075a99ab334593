// The account pages: sign in or create an account (/login), and the
// account itself (/account): tier, storage used, the files uploaded, API
// tokens, premium keys, reward points. Plain HTML forms posted to the tracker, so they
// work without the bundle; every form posts to this site only (CSP
// form-action 'self').
import { formatBytes } from '../../common/cli.js';
import type { AccountInfo, TokenInfo } from '../../common/protocol/accounts.js';
import type { PointsInfo } from '../../common/protocol/rewards.js';
import { html, type Html } from './html.js';
import { renderPage, type Shell } from './layout.js';
import { formatDate } from './link-page.js';

export interface LoginView {
  /** What went wrong with the last try, in words. */
  error?: string;
  /** The name typed, kept for the next try. */
  name?: string;
  /** Which form the error belongs to. */
  form?: 'login' | 'register';
}

const errorBox = (text: string | undefined): Html | string => (text ? html`<p class="error" role="alert">${text}</p>` : '');

export function renderLoginPage(shell: Shell, view: LoginView = {}): string {
  const err = (form: LoginView['form']) => errorBox(view.form === form ? view.error : undefined);
  const main = html`<h1>Your account</h1>
<div class="forms">
<form method="post" action="/login" class="panel" aria-labelledby="login-title">
<h2 id="login-title">Sign in</h2>
${err('login')}<p><label for="login-name">Account name</label>
<input id="login-name" name="name" autocomplete="username" required value="${view.form === 'login' ? (view.name ?? '') : ''}"></p>
<p><label for="login-password">Password</label>
<input id="login-password" name="password" type="password" autocomplete="current-password" required></p>
<p><button class="button primary" type="submit">Sign in</button></p>
</form>
<form method="post" action="/register" class="panel" aria-labelledby="register-title">
<h2 id="register-title">Create an account</h2>
${err('register')}<p>A free account keeps your files together and lifts the anonymous limits (<a href="/api/status">see the tiers</a>).</p>
<p><label for="register-name">Account name</label>
<input id="register-name" name="name" autocomplete="username" required value="${view.form === 'register' ? (view.name ?? '') : ''}"></p>
<p><label for="register-password">Password</label>
<input id="register-password" name="password" type="password" autocomplete="new-password" minlength="8" required></p>
<p><button class="button" type="submit">Create account</button></p>
</form>
</div>`;
  return renderPage({ ...shell, current: 'login' }, { title: 'Sign in', main, noindex: true });
}

export interface FileRow {
  id: string;
  filename: string;
  size: number;
  created: string;
  link: string;
  /** Complete downloads (docs/web.md: what counts). */
  downloads: number;
}

export interface AccountView {
  info: AccountInfo;
  files: FileRow[];
  /** More files than listed (the page shows the first ones). */
  moreFiles: boolean;
  tokens: TokenInfo[];
  /** Reward points: the balance, the price of a premium day, the latest points. */
  points: PointsInfo;
  /** A token just made: shown once, here. */
  newToken?: string;
  /** The outcome of the last form, in words. */
  notice?: string;
  error?: string;
}

const TIER_WORDS: Record<AccountInfo['tier'], string> = { anonymous: 'Anonymous', free: 'Free', premium: 'Premium', admin: 'Administrator' };

function quota(info: AccountInfo): Html {
  const used = info.usedBytes ?? 0;
  const max = info.limits?.storage ?? null;
  if (max === null || max === undefined) return html`${formatBytes(used)} <span class="muted">(no limit)</span>`;
  const pct = Math.min(100, Math.round((used / Math.max(1, max)) * 100));
  return html`<meter min="0" max="100" low="80" high="95" optimum="0" value="${pct}" aria-label="storage used">${pct}%</meter> ${formatBytes(used)} of ${formatBytes(max)} (${pct}%)`;
}

function fileRow(f: FileRow): Html {
  return html`<tr>
<th scope="row"><a href="${f.link}">${f.filename}</a></th>
<td>${formatBytes(f.size)}</td>
<td class="num">${String(f.downloads)}</td>
<td class="wide-only"><time datetime="${f.created}">${formatDate(f.created)}</time></td>
<td><form method="post" action="/account/files/${f.id}/delete"><button class="button small" type="submit" aria-label="Delete ${f.filename}">Delete</button></form></td>
</tr>`;
}

function tokenRow(k: TokenInfo): Html {
  return html`<tr>
<th scope="row">${k.name || html`<span class="muted">(no name)</span>`}</th>
<td><time datetime="${k.created}">${formatDate(k.created)}</time></td>
<td><time datetime="${k.expires}">${formatDate(k.expires)}</time></td>
<td><form method="post" action="/account/tokens/${k.id}/revoke"><button class="button small" type="submit" aria-label="Revoke token ${k.name}">Revoke</button></form></td>
</tr>`;
}

/** Latest points the page lists. */
const POINTS_SHOWN = 10;

function pointsSection(p: PointsInfo): Html {
  const days = Math.floor(p.balance / Math.max(1, p.pointsPerDay));
  const latest = [...p.points].sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, POINTS_SHOWN);
  return html`<section aria-labelledby="points-title">
<h2 id="points-title">Reward points</h2>
<p>${p.on ? html`Each complete download of one of your files earns a point (<a href="/api/account/points">the ledger</a>).` : html`Downloads earn no points on this site.`}
You have <strong>${String(p.balance)}</strong> point${p.balance === 1 ? '' : 's'} (${String(p.earned)} earned, ${String(p.spent)} spent); a premium day costs ${String(p.pointsPerDay)}.</p>
${latest.length > 0 ? html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Counted</th><th scope="col">File</th><th scope="col">Country</th></tr></thead>
<tbody>${latest.map((x) => html`<tr><td><time datetime="${x.at}">${formatDate(x.at)}</time></td><td><a href="/f/${x.link}">${x.link}</a></td><td>${x.country}</td></tr>`)}</tbody>
</table></div>` : ''}
${days > 0 ? html`<form method="post" action="/account/points/redeem" class="inline-form">
<label for="points-days">Premium days</label>
<input id="points-days" name="days" type="number" min="1" max="${String(days)}" value="1" required>
<button class="button" type="submit">Redeem points</button>
</form>` : ''}
</section>`;
}

export function renderAccountPage(shell: Shell, view: AccountView): string {
  const { info } = view;
  const premium =
    info.premiumUntil && Date.parse(info.premiumUntil) > Date.now() ? html`until <time datetime="${info.premiumUntil}">${formatDate(info.premiumUntil)}</time>` : '';
  const main = html`<h1>${info.name ?? 'Account'}</h1>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}${errorBox(view.error)}
<dl class="facts">
<dt>Tier</dt><dd>${TIER_WORDS[info.tier]} ${premium}</dd>
<dt>Storage used</dt><dd>${quota(info)}</dd>
${info.created ? html`<dt>Member since</dt><dd><time datetime="${info.created}">${formatDate(info.created)}</time></dd>` : ''}
</dl>
<section aria-labelledby="files-title">
<h2 id="files-title">My files</h2>
${
  view.files.length === 0
    ? html`<p class="muted">No files yet. <a href="/">Upload one</a>.</p>`
    : html`<div class="table-wrap"><table>
<caption class="visually-hidden">My files, with their complete downloads</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Size</th><th scope="col" class="num">Downloads</th><th scope="col" class="wide-only">Uploaded</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${view.files.map(fileRow)}</tbody>
</table></div>
<p class="muted">Downloads: complete downloads, each downloader counted once a day per file; a download stopped part-way does not count. New ones show within seconds.</p>${view.moreFiles ? html`<p class="muted">Only the first ${view.files.length} files are listed.</p>` : ''}`
}
</section>
<section aria-labelledby="tokens-title">
<h2 id="tokens-title">API tokens</h2>
<p>For scripts and <code>hoard put</code> / <code>hoard get</code>: send one as <code>Authorization: Bearer</code>, or let <code>hoard login</code> make one.</p>
${view.newToken ? html`<div class="share"><label for="new-token">New token (shown once: copy it now)</label><div class="copy-row"><input id="new-token" type="text" readonly value="${view.newToken}"><button type="button" class="button" data-copy="new-token" hidden>Copy</button></div></div>` : ''}
${view.tokens.length > 0 ? html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${view.tokens.map(tokenRow)}</tbody>
</table></div>` : ''}
<form method="post" action="/account/tokens" class="inline-form">
<label for="token-name">Token name</label>
<input id="token-name" name="name" required maxlength="64" placeholder="laptop">
<button class="button" type="submit">Create token</button>
</form>
</section>
<section aria-labelledby="premium-title">
<h2 id="premium-title">Premium key</h2>
<form method="post" action="/account/redeem" class="inline-form">
<label for="premium-key">Key</label>
<input id="premium-key" name="key" required autocomplete="off">
<button class="button" type="submit">Redeem</button>
</form>
</section>
${pointsSection(view.points)}
<form method="post" action="/logout"><button class="button" type="submit">Sign out</button></form>`;
  return renderPage({ ...shell, current: 'account' }, { title: info.name ?? 'Account', main, noindex: true });
}
