// The shell every page shares: head (the bundle's stylesheet, script and
// icon), a skip link, the site header with its navigation and the place
// that says who is signed in, the page's main content, a footer. Pages
// give only their title and main content.
import type { WebAssets } from './assets.js';
import { html, type Html } from './html.js';

/** Who is signed in, as the header shows it; undefined for an anonymous visitor. */
export interface Visitor {
  name: string;
  /** An administrator: the navigation shows the cluster page. */
  admin?: boolean;
}

/** Navigation entries, by key; a page names its own to be marked current. */
export type NavKey = 'upload' | 'login' | 'account' | 'admin';

interface NavItem {
  key: NavKey;
  href: string;
  label: string;
  /** Who sees it (everyone when absent). */
  for?: 'anonymous' | 'signed-in' | 'admin';
}

/** The site's navigation, filtered by `navFor` for the visitor. */
const NAV: readonly NavItem[] = [
  { key: 'upload', href: '/', label: 'Upload' },
  { key: 'account', href: '/account', label: 'Account', for: 'signed-in' },
  { key: 'admin', href: '/admin', label: 'Cluster', for: 'admin' },
  { key: 'login', href: '/login', label: 'Sign in', for: 'anonymous' },
];

function navFor(visitor: Visitor | undefined): readonly NavItem[] {
  return NAV.filter((n) => {
    if (n.for === 'anonymous') return visitor === undefined;
    if (n.for === 'signed-in') return visitor !== undefined;
    if (n.for === 'admin') return visitor?.admin === true;
    return true;
  });
}

export interface Shell {
  assets: WebAssets;
  visitor?: Visitor;
  current?: NavKey;
}

export interface PageSpec {
  title: string;
  main: Html;
  /** Keep the page out of search engines (link pages: a link is only for those it was given to). */
  noindex?: boolean;
}

export function renderPage(shell: Shell, page: PageSpec): string {
  const { assets, visitor, current } = shell;
  const icon = assets.url('icon.svg');
  const css = assets.url('site.css');
  const js = assets.url('site.js');
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${page.noindex ? html`<meta name="robots" content="noindex">\n` : ''}<title>${page.title} · hoard</title>
${icon ? html`<link rel="icon" type="image/svg+xml" href="${icon}">\n` : ''}${css ? html`<link rel="stylesheet" href="${css}">\n` : ''}${js ? html`<script type="module" src="${js}"></script>\n` : ''}</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<a class="brand" href="/">hoard</a>
<nav aria-label="Site"><ul>${navFor(visitor).map(
    (n) => html`<li><a href="${n.href}"${n.key === current ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
  )}</ul></nav>
<p class="visitor">${visitor ? html`Signed in as <strong>${visitor.name}</strong>` : ''}</p>
</header>
<main id="main" tabindex="-1">
${page.main}
</main>
<footer class="site"><p>hoard: one link per file, stored once however often it is uploaded.</p></footer>
</body>
</html>
`;
  return doc.text;
}
