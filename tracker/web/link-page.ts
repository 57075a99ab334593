// The link page: what a browser sees at /f/ID. Name, size, upload date and
// a download button that is a plain link (no script needed); the link itself
// with a copy button the bundle brings to life; checksums for the careful.
import { formatBytes } from '../../common/cli.js';
import type { Tier } from '../../common/protocol/tiers.js';
import { html, type Html } from './html.js';
import { renderPage, type Shell } from './layout.js';

export interface LinkPageView {
  filename: string;
  size: number;
  /** ISO 8601. */
  created: string;
  /** The shareable link (/f/ID at the tracker's public URL). */
  link: string;
  /** Where the download button points: a path that always redirects to a signed node URL. */
  download: string;
  md5: string;
  sha256: string;
  /** What the visitor's tier allows for this file, now. */
  access: LinkAccess;
}

/** The visitor's download terms, as the download policy gives them at this moment. */
export interface LinkAccess {
  tier: Tier;
  /** Bytes/s of one download, 0 = unthrottled. */
  rate: number;
  oneAtATime: boolean;
  /** The happy hour: running (until its end) or next (its start), and whether it lifts this tier. */
  happy: { on: boolean; start?: string; end?: string; lifts: boolean };
  /** The tier may not download files this large: the limit in bytes. */
  sizeLimit?: number;
}

const TIER_WORDS: Record<Tier, string> = { anonymous: 'a visitor without an account', free: 'a free account', premium: 'a premium account', admin: 'an administrator' };

/** The visitor's terms in words: speed, files at once, the happy hour, a file too large for the tier. */
function accessNote(a: LinkAccess): Html {
  const terms =
    a.rate === 0 && !a.oneAtATime
      ? 'at full speed, any number of files at once'
      : [a.rate === 0 ? 'at full speed' : `at up to ${formatBytes(a.rate)}/s`, a.oneAtATime ? 'one file at a time' : 'any number of files at once'].join(', ');
  const happy = !a.happy.lifts
    ? ''
    : a.happy.on && a.happy.end
      ? html` <strong>Happy hour until <time datetime="${a.happy.end}">${formatDate(a.happy.end)}</time>:</strong> premium speed for you now.`
      : a.happy.start
        ? html` Happy hour starts <time datetime="${a.happy.start}">${formatDate(a.happy.start)}</time>: premium speed then.`
        : '';
  const big =
    a.sizeLimit === undefined
      ? ''
      : html`<p class="notice" role="note">This file is larger than the ${formatBytes(a.sizeLimit)} your tier may download: a premium account may download it.</p>`;
  const more = a.tier === 'anonymous' ? html` <a href="/login">Sign in or create an account</a> for more.` : '';
  return html`<section class="access" aria-labelledby="access-title">
<h2 id="access-title" class="visually-hidden">Your download</h2>
<p id="access">As ${TIER_WORDS[a.tier]}, you download ${terms}.${happy}${more}</p>
${big}</section>`;
}

/** `2026-12-03 13:18 UTC`: one form for every visitor, whatever their locale. */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function renderLinkPage(shell: Shell, view: LinkPageView): string {
  const main = html`<h1 class="filename">${view.filename}</h1>
<dl class="facts">
<dt>Size</dt><dd>${formatBytes(view.size)}${view.size >= 1024 ? html` <span class="muted">(${view.size.toLocaleString('en-US')} bytes)</span>` : ''}</dd>
<dt>Uploaded</dt><dd><time datetime="${view.created}">${formatDate(view.created)}</time></dd>
</dl>
<p class="actions"><a class="button primary" href="${view.download}" id="download">Download</a></p>
${accessNote(view.access)}
<div class="share">
<label for="link">Link</label>
<div class="copy-row"><input id="link" type="text" readonly value="${view.link}"><button type="button" class="button" data-copy="link" hidden>Copy link</button></div>
</div>
<details class="checksums">
<summary>Checksums</summary>
<dl class="facts">
<dt>SHA-256</dt><dd><code>${view.sha256}</code></dd>
<dt>MD5</dt><dd><code>${view.md5}</code></dd>
</dl>
</details>
<section class="cli" aria-labelledby="cli-title">
<h2 id="cli-title">From a terminal</h2>
<pre><code>curl -L -O -J ${view.link}
npx hoard get ${view.link}</code></pre>
</section>`;
  return renderPage(shell, { title: view.filename, main, noindex: true });
}
