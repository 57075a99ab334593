// The server side of the pages: escaping, who gets a page, the policy, the
// link page's markup, the assets when the bundle is or is not built.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { HoardError } from '../../../common/protocol/errors.js';
import { loadWebAssets } from '../../../tracker/web/assets.js';
import { originsOf, pageCsp } from '../../../tracker/web/csp.js';
import { renderErrorPage } from '../../../tracker/web/error-page.js';
import { html } from '../../../tracker/web/html.js';
import { formatDate, renderLinkPage } from '../../../tracker/web/link-page.js';
import { wantsHtml } from '../../../tracker/web/negotiate.js';
import { renderUploadPage } from '../../../tracker/web/upload-page.js';

const req = (accept: string | undefined) => ({ headers: accept === undefined ? {} : { accept } }) as IncomingMessage;
const unbuilt = loadWebAssets(mkdtempSync(join(tmpdir(), 'hoard-web-')));

t.test('html escapes what it is given, and only that', async (t) => {
  const name = `<script>alert("x")</script>&'`;
  t.equal(html`<p title="${name}">${name}</p>`.text, '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>');
  t.equal(html`<ul>${['a', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.text, '<ul><li>a</li><li>b</li></ul>');
  t.equal(html`${undefined}${null}${false}${0}`.text, '0');
});

t.test('a page for browsers, the redirect for everyone else', async (t) => {
  t.ok(wantsHtml(req('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')), 'Chromium and Firefox');
  t.ok(wantsHtml(req('TEXT/HTML')), 'any case');
  t.notOk(wantsHtml(req('*/*')), 'curl, wget, aria2c');
  t.notOk(wantsHtml(req(undefined)), 'no Accept');
  t.notOk(wantsHtml(req('application/json')), 'a script asking for JSON');
  t.notOk(wantsHtml(req('text/html;q=0')), 'html refused');
  t.notOk(wantsHtml(req(`text/html${' '.repeat(3000)}`)), 'an absurd header');
});

t.test('the policy lets nothing run but the bundle', async (t) => {
  const csp = pageCsp(['http://node-a:9000']);
  t.match(csp, /default-src 'self'/);
  t.match(csp, /script-src 'self';/);
  t.notMatch(csp, /unsafe-inline|unsafe-eval/, 'no inline script or style, no eval');
  t.match(csp, /connect-src 'self' http:\/\/node-a:9000;/);
  t.match(csp, /frame-ancestors 'none'/);
  t.same(originsOf(['http://b:1/x', 'http://a:2', 'http://a:2/y', 'ftp://c', 'not a url']), ['http://a:2', 'http://b:1']);
});

const premium = { tier: 'premium', rate: 0, oneAtATime: false, happy: { on: false, lifts: false } } as const;

t.test('the link page says in words what the visitor\'s tier allows now', async (t) => {
  const view = { filename: 'a.bin', size: 2048, created: '2026-12-03T13:18:05.000Z', link: 'http://t/f/abc', download: '/f/abc?download=1', md5: 'a'.repeat(32), sha256: 'b'.repeat(64) };
  const page = (access: Parameters<typeof renderLinkPage>[1]['access']) => renderLinkPage({ assets: unbuilt }, { ...view, access });
  const window = { start: '2026-12-04T12:00:00.000Z', end: '2026-12-04T14:00:00.000Z' };
  t.match(page(premium), /As a premium account, you download at full speed, any number of files at once\.<\/p>/);
  t.match(page({ tier: 'anonymous', rate: 262144, oneAtATime: true, happy: { on: false, lifts: false, ...window } }), /As a visitor without an account, you download at up to 256 KiB\/s, one file at a time\. <a href="\/login">Sign in or create an account<\/a> for more\./);
  t.match(page({ tier: 'free', rate: 1048576, oneAtATime: true, happy: { on: false, lifts: true, ...window } }), /up to 1\.00 MiB\/s, one file at a time\. Happy hour starts <time datetime="2026-12-04T12:00:00\.000Z">2026-12-04 12:00 UTC<\/time>: premium speed then\./);
  t.match(page({ tier: 'free', rate: 0, oneAtATime: false, happy: { on: true, lifts: true, ...window } }), /at full speed, any number of files at once\. <strong>Happy hour until <time datetime="2026-12-04T14:00:00\.000Z">2026-12-04 14:00 UTC<\/time>:<\/strong> premium speed for you now\./);
  const big = page({ tier: 'free', rate: 1048576, oneAtATime: true, happy: { on: false, lifts: false }, sizeLimit: 1024 });
  t.match(big, /This file is larger than the 1\.00 KiB your tier may download: a premium account may download it\./);
  t.notMatch(page(premium), /larger than/);
});

t.test('the link page escapes the name and downloads without script', async (t) => {
  const page = renderLinkPage(
    { assets: unbuilt },
    { filename: '<img src=x onerror=alert(1)>.txt', size: 2048, created: '2026-12-03T13:18:05.000Z', link: 'http://t/f/abc', download: '/f/abc?download=1', md5: 'a'.repeat(32), sha256: 'b'.repeat(64), access: premium },
  );
  t.notMatch(page, /<img/, 'the file name is text');
  t.match(page, /<h1 class="filename">&lt;img src=x onerror=alert\(1\)&gt;\.txt<\/h1>/);
  t.match(page, /<a class="button primary" href="\/f\/abc\?download=1" id="download">Download<\/a>/, 'a plain link downloads');
  t.match(page, /2\.00 KiB/);
  t.match(page, /<meta name="robots" content="noindex">/, 'kept out of search engines');
  t.notMatch(page, /<script(?! type="module" src=)/, 'no inline script');
  t.equal(formatDate('2026-12-03T13:18:05.000Z'), '2026-12-03 13:18 UTC');
});

t.test('errors in words, with the status a script would get', async (t) => {
  const missing = renderErrorPage({ assets: unbuilt }, new HoardError('LINK_NOT_FOUND'));
  t.equal(missing.status, 404);
  t.match(missing.body, /Link not found/);
  const broken = renderErrorPage({ assets: unbuilt }, new Error('secret detail'));
  t.equal(broken.status, 500);
  t.notMatch(broken.body, /secret detail/, 'an internal error does not show its message');
});

t.test('the upload page gives the bundle its settings', async (t) => {
  const page = renderUploadPage({ assets: unbuilt }, { publicUrl: 'http://t', chunkSize: 1024, maxUploadSize: 2048 });
  t.match(page, /data-endpoint="\/files"/);
  t.match(page, /data-chunk-size="1024"/);
  t.match(page, /<label for="files"/, 'the picker has a label');
  t.match(page, /<noscript>/, 'says what to do without JavaScript');
});

t.test('assets: unbuilt, built, and a build missing a file', async (t) => {
  t.equal(unbuilt.built, false);
  t.equal(unbuilt.url('site.js'), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'hoard-web-'));
  const names = { 'site.js': 'site-A1.js', 'site.css': 'site-B2.css', 'hash-worker.js': 'hash-worker-C3.js', 'icon.svg': 'icon-D4.svg' };
  for (const n of Object.values(names)) writeFileSync(join(dir, n), 'x');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ entries: names }));
  const built = loadWebAssets(dir);
  t.equal(built.url('site.js'), '/assets/site-A1.js');
  t.equal(built.file('site-B2.css')?.type, 'text/css; charset=utf-8');
  t.equal(built.file('../manifest.json'), undefined);
  t.equal(built.file('manifest.json'), undefined, 'only the bundle is served');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ entries: { ...names, 'icon.svg': 'gone.svg' } }));
  t.throws(() => loadWebAssets(dir), /icon\.svg is missing/);
});
