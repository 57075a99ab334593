// The link page: what a browser sees at /f/ID. Name, size, upload date and
// a download button that is a plain link (no script needed); the link itself
// with a copy button the bundle brings to life; checksums for the careful.
import { formatBytes } from '../../common/cli.js';
import { html } from './html.js';
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
