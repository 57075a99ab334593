// The upload page at `/`: a file picker that is also a drop zone, and the
// list the bundle (browser/upload-page.ts) fills with one row per file. The
// server gives the bundle what it needs in data attributes: where to create
// uploads, the PATCH size, the size limit and the hashing worker's URL.
import { formatBytes } from '../../common/cli.js';
import { TRACKER, TUS_TRACKER } from '../../common/protocol/routes.js';
import { html } from './html.js';
import { renderPage, type Shell } from './layout.js';

export interface UploadPageView {
  /** The tracker's base URL, for the command-line examples. */
  publicUrl: string;
  /** Bytes per PATCH (0: the rest of the file in one). */
  chunkSize: number;
  maxUploadSize: number;
}

export function renderUploadPage(shell: Shell, view: UploadPageView): string {
  const worker = shell.assets.url('hash-worker.js') ?? '';
  const main = html`<h1>Upload files</h1>
<p class="lead">Each file gets a link; anyone with the link can download it. Files up to ${formatBytes(view.maxUploadSize)}.</p>
<div id="upload" class="drop" data-endpoint="${TUS_TRACKER.create}" data-link-info="${TRACKER.linkInfo}" data-chunk-size="${view.chunkSize}" data-max-size="${view.maxUploadSize}" data-worker="${worker}">
<input type="file" id="files" name="files" multiple class="visually-hidden">
<label for="files" class="button primary">Choose files</label>
<p class="hint">or drop them anywhere on this page</p>
</div>
<noscript><p class="notice">Uploading from this page needs JavaScript. Without it, use a terminal (below).</p></noscript>
<ol id="uploads" class="uploads" aria-label="Uploads"></ol>
<section class="cli" aria-labelledby="cli-title">
<h2 id="cli-title">From a terminal</h2>
<pre><code>curl -L -T ./movie.mkv ${view.publicUrl}${TRACKER.upload}movie.mkv
npx hoard put ./movie.mkv</code></pre>
</section>`;
  return renderPage({ ...shell, current: 'upload' }, { title: 'Upload', main });
}
