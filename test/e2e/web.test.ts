// The site in a real browser (Chromium through playwright-core) against a
// real tracker and node: files picked on the upload page go up through tus
// and come back byte-identical from their link page; a file the cluster
// already holds ends early and the page says so; the link page downloads
// without JavaScript; the upload works from the keyboard alone; a reload
// mid-upload resumes and a cut connection is retried; curl still gets the
// redirect; the account page counts a file's complete downloads.
// Screenshots of each page at desktop and phone width go to dist/screenshots
// (or $HOARD_SCREENSHOTS, e.g. docs/web).
import t, { type Test } from 'tap';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, FileChooser, Page } from 'playwright-core';
import { BIN, useCluster } from '../helpers/cluster.js';
import { ensureWebBuilt, screenshotDir, useBrowser } from '../helpers/browser.js';
import { makeRandomFile, sha256File, tempDir, type TestFile } from '../helpers/files.js';
import { curl, http, metricsAuth } from '../helpers/http.js';
import { describeRun, run, waitFor } from '../helpers/proc.js';

const MiB = 1 << 20;
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

await ensureWebBuilt();
const work = await tempDir();
t.teardown(work.cleanup);
// PATCHes of 2 MiB: a file of a few MiB goes up in several, as a large one would.
const c = await useCluster(t, { nodes: [{ zone: 'a' }], chunkSize: MiB, trackerArgs: ['--web-chunk-size', '2MiB'] });
const browser = await useBrowser(t);
const shots = screenshotDir();

const big = await makeRandomFile(join(work.dir, 'holiday-photos.tar'), 6 * MiB + 4321);
const small = await makeRandomFile(join(work.dir, 'notes é.txt'), 1000);
const mine = await makeRandomFile(join(work.dir, 'report ann.pdf'), 30_000);

/** Errors the page logged (a CSP violation is one), scripts that threw, and requests to anyone but the cluster. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  const ours = new Set([new URL(c.trackerUrl).origin, ...c.nodes.map((n) => new URL(n.url).origin)]);
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.protocol !== 'data:' && url.protocol !== 'blob:' && !ours.has(url.origin)) problems.push(`a third-party request: ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

async function newPage(t: Test, opts: Parameters<typeof browser.newContext>[0] = {}): Promise<{ ctx: BrowserContext; page: Page; problems: string[] }> {
  const ctx = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true, ...opts });
  t.teardown(() => ctx.close());
  const page = await ctx.newPage();
  return { ctx, page, problems: watch(page) };
}

interface Row {
  name: string;
  state: string;
  status: string;
  link: string;
}

/** Waits until the page's `count` upload rows have ended (done, early, failed or cancelled) and reads them. */
async function finishedRows(page: Page, count: number): Promise<Row[]> {
  await page.waitForFunction(
    (n) => {
      const rows = [...document.querySelectorAll<HTMLElement>('li.upload')];
      return rows.length === n && rows.every((r) => ['done', 'early', 'failed', 'cancelled'].includes(r.dataset.state ?? ''));
    },
    count,
    { timeout: 120_000 },
  );
  return page.$$eval('li.upload', (els) =>
    els.map((li) => ({
      name: li.querySelector('.name')?.textContent ?? '',
      state: (li as HTMLElement).dataset.state ?? '',
      status: li.querySelector('.status')?.textContent ?? '',
      link: li.querySelector('a.link')?.getAttribute('href') ?? '',
    })),
  );
}

/** Clicks the link page's download button and returns the saved file's path and suggested name. */
async function download(page: Page): Promise<{ path: string; name: string }> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#download')]);
  const path = join(work.dir, `dl-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  await dl.saveAs(path);
  return { path, name: dl.suggestedFilename() };
}

/** The page as it stands (signed in) at phone width, then back at desktop width. */
async function phoneShotIn(page: Page, name: string): Promise<boolean> {
  await page.setViewportSize(PHONE);
  try {
    await page.screenshot({ path: join(shots, name), fullPage: true });
    // Neither the page nor a table in it scrolls sideways: a row's buttons stay on the screen.
    return await page.evaluate(
      () => document.documentElement.scrollWidth <= window.innerWidth && [...document.querySelectorAll('.table-wrap')].every((w) => w.scrollWidth <= w.clientWidth),
    );
  } finally {
    await page.setViewportSize(DESKTOP);
  }
}

async function phoneShot(url: string, name: string): Promise<boolean> {
  const ctx = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  try {
    const page = await ctx.newPage();
    await page.goto(url);
    await page.screenshot({ path: join(shots, name), fullPage: true });
    // Nothing wider than the screen: no sideways scrolling on a phone.
    return await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  } finally {
    await ctx.close();
  }
}

const links = new Map<string, string>();

await t.test('files picked on the upload page get links', async (t) => {
  const { page, problems } = await newPage(t);
  const res = await page.goto(`${c.trackerUrl}/`);
  t.equal(res?.status(), 200);
  const csp = res?.headers()['content-security-policy'] ?? '';
  t.match(csp, /script-src 'self'(;|$)/, 'scripts only from the tracker, none inline');
  t.match(csp, /connect-src 'self' http:\/\/127\.0\.0\.1:\d+/, 'the page may reach the node');
  await page.screenshot({ path: join(shots, 'upload-desktop.png'), fullPage: true });
  t.ok(await phoneShot(`${c.trackerUrl}/`, 'upload-phone.png'), 'the upload page fits a phone screen');

  await page.setInputFiles('#files', [big.path, small.path]);
  const rows = await finishedRows(page, 2);
  await page.screenshot({ path: join(shots, 'upload-done-desktop.png'), fullPage: true });
  for (const f of [big, small]) {
    const name = f.path.split('/').pop()!;
    const row = rows.find((r) => r.name === name);
    t.match(row, { state: 'done', status: 'Done' }, `${name} uploaded`);
    t.match(row?.link ?? '', new RegExp(`^${c.trackerUrl}/f/[A-Za-z0-9_-]+$`), `${name} has a link`);
    if (row?.link) links.set(name, row.link);
  }
  const info = await Promise.all([...links.values()].map(async (l) => (await http(l.replace('/f/', '/api/links/'))).text));
  t.match(info.join('\n'), big.sha256, 'the tracker knows the file by its hash');
  t.same(problems, [], 'no script error, no CSP violation, no third-party request');
});

await t.test('the link page downloads the same bytes', { skip: links.size === 2 ? false : 'the upload failed' }, async (t) => {
  const { page, problems } = await newPage(t);
  for (const f of [big, small]) {
    const name = f.path.split('/').pop()!;
    const link = links.get(name)!;
    const res = await page.goto(link);
    t.equal(res?.status(), 200, `${name}: a page for the browser`);
    t.equal(res?.headers()['content-type'], 'text/html; charset=utf-8');
    t.equal(await page.textContent('h1'), name, 'the page names the file');
    t.match(await page.textContent('.facts'), f === big ? /6\.00 MiB/ : /1000 B/, 'and its size');
    // This cluster downloads unthrottled: the visitor's terms, in words.
    t.match(await page.textContent('#access'), /^As a visitor without an account, you download at full speed, any number of files at once\. Sign in or create an account for more\.$/, 'and what the visitor\'s tier allows');
    const got = await download(page);
    t.equal(got.name, name, 'saved under its name');
    t.equal(await sha256File(got.path), f.sha256, `${name} came back byte-identical`);
  }
  await page.goto(links.get('holiday-photos.tar')!);
  await page.screenshot({ path: join(shots, 'link-desktop.png'), fullPage: true });
  t.ok(await phoneShot(links.get('holiday-photos.tar')!, 'link-phone.png'), 'the link page fits a phone screen');
  t.same(problems, [], 'no script error, no CSP violation, no third-party request');
  const missing = await page.goto(`${c.trackerUrl}/f/AAAAAAAAAAAAAAAAAAAAAA`);
  t.equal(missing?.status(), 404, 'an unknown link is a 404 page');
  t.match(await page.textContent('h1'), /not found/i, 'that says so in words');
  t.match(await page.textContent('main'), /does not exist/, 'not a JSON error');
});

await t.test('curl, wget and scripts still get the redirect', { skip: links.size === 2 ? false : 'the upload failed' }, async (t) => {
  const link = links.get('holiday-photos.tar')!;
  const head = await curl(['-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', link]);
  t.match(head.stdout, /^302 http:\/\/127\.0\.0\.1:\d+\/blob\//, `curl is redirected to the node: ${describeRun(head)}`);
  const out = join(work.dir, 'curl.out');
  const r = await curl(['-L', '-o', out, link]);
  t.equal(r.code, 0, describeRun(r));
  t.equal(await sha256File(out), big.sha256, 'curl -L downloads the file');
  const page = await http(link, { headers: { accept: 'text/html' } });
  t.equal(page.status, 200, 'Accept: text/html gets the page');
  t.equal(page.headers.vary, 'Accept', 'caches keep page and redirect apart');
});

await t.test('a file the cluster holds ends early and the page says so', { skip: links.size === 2 ? false : 'the upload failed' }, async (t) => {
  // The same bytes under another name: a new file for the browser, one content for the cluster.
  const copy: TestFile = { ...big, path: join(work.dir, 'photos-again.tar') };
  await copyFile(big.path, copy.path);
  const { page, problems } = await newPage(t);
  await page.goto(`${c.trackerUrl}/`);
  await page.setInputFiles('#files', copy.path);
  const [row] = await finishedRows(page, 1);
  t.equal(row?.state, 'early', 'the upload ended early');
  t.match(row?.status, /^Already stored: \d+(\.\d+)? % sent$/, 'and says so');
  await page.screenshot({ path: join(shots, 'upload-early-desktop.png'), fullPage: true });
  await page.goto(row!.link);
  const got = await download(page);
  t.equal(await sha256File(got.path), big.sha256, 'its link downloads the file');
  t.equal(got.name, 'photos-again.tar', 'under the new name');
  t.same(problems, [], 'no script error, no CSP violation, no third-party request');
});

await t.test('the link page downloads without JavaScript', { skip: links.size === 2 ? false : 'the upload failed' }, async (t) => {
  const { page } = await newPage(t, { javaScriptEnabled: false });
  await page.goto(links.get('notes é.txt')!);
  t.equal(await page.isHidden('button[data-copy]'), true, 'no copy button that could not work');
  const got = await download(page);
  t.equal(await sha256File(got.path), small.sha256, 'downloaded byte-identical');
});

await t.test('an upload from the keyboard alone', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'keyboard.bin'), 300 * 1024);
  const { page, problems } = await newPage(t);
  // Listening before the page loads: the browser then hands the picker to the test from the first key press.
  const chooser = new Promise<FileChooser>((resolve) => page.once('filechooser', resolve));
  await page.goto(`${c.trackerUrl}/`);
  // Tab to the file picker, as someone without a mouse would.
  let reached = false;
  for (let i = 0; i < 10 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.id === 'files');
  }
  t.ok(reached, 'the file picker is reached with Tab');
  const focusShown = await page.evaluate(() => getComputedStyle(document.querySelector('label[for=files]')!).outlineStyle);
  t.equal(focusShown, 'solid', 'its label shows the focus');
  await page.keyboard.press('Space');
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('Space opened no file picker within 30 s')), 30_000).unref());
  await (await Promise.race([chooser, timeout])).setFiles(f.path);
  const [row] = await finishedRows(page, 1);
  t.equal(row?.state, 'done', 'uploaded');
  // The new link is next in the tab order.
  let onLink = false;
  for (let i = 0; i < 10 && !onLink; i++) {
    await page.keyboard.press('Tab');
    onLink = await page.evaluate(() => document.activeElement?.classList.contains('link') === true);
  }
  t.ok(onLink, 'the link is reached with Tab');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#download');
  const got = await download(page);
  t.equal(await sha256File(got.path), f.sha256, 'and its page downloads the file');
  t.same(problems, [], 'no script error, no CSP violation, no third-party request');
});

/** Counts PATCHes the page sends to the node and lets `hold(n)` decide, per PATCH, to let it go or not. */
async function interceptPatches(page: Page, decide: (n: number) => 'go' | 'hold' | 'drop'): Promise<{ held: Promise<number> }> {
  let n = 0;
  let heldAt: (n: number) => void = () => undefined;
  const held = new Promise<number>((resolve) => (heldAt = resolve));
  await page.route(/\/tus\//, async (route) => {
    if (route.request().method() !== 'PATCH') return route.continue();
    const what = decide(++n);
    if (what === 'go') return route.continue();
    if (what === 'drop') return route.abort('connectionreset');
    // Never answered: as a connection that hangs until the page goes away.
    heldAt(n);
  });
  return { held };
}

await t.test('a reload mid-upload resumes where the node stands', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'reloaded.bin'), 8 * MiB + 77);
  const { page, problems } = await newPage(t);
  await page.goto(`${c.trackerUrl}/`);
  // The first PATCH carries the proof and ends at 1 MiB, the second at 3 MiB; the third hangs.
  const { held } = await interceptPatches(page, (n) => (n <= 2 ? 'go' : 'hold'));
  await page.setInputFiles('#files', f.path);
  t.equal(await held, 3, 'the third PATCH hangs');
  await page.waitForFunction(() => document.querySelector('li.upload .figures')?.textContent?.startsWith('3.00 MiB of 8.00 MiB'));
  await page.screenshot({ path: join(shots, 'upload-progress-desktop.png'), fullPage: true });
  await page.reload();
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  // Picking the same file again finds the unfinished upload (tus-js-client keeps it in localStorage).
  await page.setInputFiles('#files', f.path);
  const [row] = await finishedRows(page, 1);
  t.equal(row?.state, 'done', `uploaded after the reload: ${row?.status}`);
  const resumedAt = Number(await page.getAttribute('li.upload', 'data-resumed-at'));
  t.equal(resumedAt, 3 * MiB, 'resumed at the offset the node had');
  await page.goto(row!.link);
  const got = await download(page);
  t.equal(await sha256File(got.path), f.sha256, 'the file came back byte-identical');
  t.same(problems.filter((p) => !/ERR_CONNECTION|net::/.test(p)), [], 'no script error, no CSP violation, no third-party request');
});

await t.test('a dropped connection is retried', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'dropped.bin'), 5 * MiB + 99);
  const { page, problems } = await newPage(t);
  await page.goto(`${c.trackerUrl}/`);
  let drops = 0;
  await interceptPatches(page, (n) => (n === 2 ? (drops++, 'drop') : 'go'));
  await page.setInputFiles('#files', f.path);
  const [row] = await finishedRows(page, 1);
  t.equal(drops, 1, 'one PATCH was cut');
  t.equal(row?.state, 'done', `uploaded all the same: ${row?.status}`);
  await page.goto(row!.link);
  const got = await download(page);
  t.equal(await sha256File(got.path), f.sha256, 'the file came back byte-identical');
  t.same(problems.filter((p) => !/ERR_CONNECTION|net::/.test(p)), [], 'no script error, no CSP violation, no third-party request');
});

await t.test('an empty file gets a link too', async (t) => {
  const f = await makeRandomFile(join(work.dir, 'empty.txt'), 0);
  const { page, problems } = await newPage(t);
  await page.goto(`${c.trackerUrl}/`);
  await page.setInputFiles('#files', f.path);
  const [row] = await finishedRows(page, 1);
  t.equal(row?.state, 'done', `uploaded: ${row?.status}`);
  await page.goto(row!.link);
  t.match(await page.textContent('.facts'), /0 B/);
  const got = await download(page);
  t.equal(await sha256File(got.path), f.sha256, 'downloaded empty');
  t.same(problems, [], 'no script error, no CSP violation, no third-party request');
});

await t.test('an account from the pages alone: register, a token made and revoked, sign out', async (t) => {
  const { page, problems } = await newPage(t);
  t.equal((await page.goto(`${c.trackerUrl}/account`))?.url(), `${c.trackerUrl}/login`, 'the account page sends a visitor to sign in');
  await page.screenshot({ path: join(shots, 'login-desktop.png'), fullPage: true });
  t.ok(await phoneShot(`${c.trackerUrl}/login`, 'login-phone.png'), 'the sign-in page fits a phone screen');

  await page.fill('#register-name', 'ann');
  await page.fill('#register-password', 'correct horse battery');
  await Promise.all([page.waitForURL(`${c.trackerUrl}/account`), page.click('form[action="/register"] button')]);
  t.equal(await page.textContent('h1'), 'ann', 'registered and signed in');
  t.match(await page.textContent('header.site'), /Signed in as ann/);
  t.match(await page.textContent('main'), /No files yet/);

  await page.fill('#token-name', 'laptop');
  await page.click('form[action="/account/tokens"] button');
  const token = await page.inputValue('#new-token');
  t.match(token, /^\S{20,}$/, 'a new token, shown once');
  const who = await http(`${c.trackerUrl}/api/account`, { headers: { authorization: `Bearer ${token}` } });
  t.match(JSON.parse(who.text), { name: 'ann' }, 'the token signs a script in as ann');
  await page.goto(`${c.trackerUrl}/account`);
  t.equal(await page.inputValue('#new-token').catch(() => 'gone'), 'gone', 'the token is not shown again');

  // A file uploaded from the page while signed in is ann's: listed under My files, counted, and hers to delete.
  await page.goto(`${c.trackerUrl}/`);
  await page.setInputFiles('#files', [mine.path]);
  const [row] = await finishedRows(page, 1);
  t.match(row, { state: 'done', name: 'report ann.pdf' }, 'uploaded from the page');

  // Its downloads, as curl makes them: complete ones count, once per downloader a day; one cut at half does not.
  const link = row?.link ?? '-';
  const downloads = async (): Promise<number> => {
    const html = (await http(`${c.trackerUrl}/account`, { headers: { authorization: `Bearer ${token}`, accept: 'text/html' } })).text;
    return Number(/<td class="num">(\d+)<\/td>/.exec(html)?.[1] ?? NaN);
  };
  const fetchFile = async (headers: Record<string, string>, range?: string): Promise<number> => {
    // One file at a time without an account: the last download's lease may still be held for a moment.
    const url = await waitFor('a download URL', async () => {
      const r = await http(link, { headers });
      if (r.status === 429) return undefined;
      if (r.status !== 302) throw new Error(`GET ${link}: ${r.status} ${r.text}`);
      return r.headers.location!;
    }, 20_000, 200);
    const out = join(work.dir, 'counted.bin');
    const got = await curl(['-s', '-o', out, '-w', '%{http_code} %{size_download}', ...(range ? ['-r', range] : []), url]);
    const [code, size] = got.stdout.trim().split(' ').map(Number);
    if (code !== 200 && code !== 206) throw new Error(`download: ${describeRun(got)}`);
    return size!;
  };
  t.equal(await downloads(), 0, 'no download yet');
  // The tracker's metric counts every link's complete downloads (the pages before downloaded others).
  const completeDownloads = (text: string): number => Number(/^hoard_downloads_complete_total (\d+)$/m.exec(text)?.[1] ?? NaN);
  const completeBefore = completeDownloads((await http(`${c.trackerUrl}/metrics`, { headers: metricsAuth(c.secret) })).text);
  // A caller counts once per UTC day: a run that crosses midnight sees the repeat counted as the next day's.
  const dayOf = () => new Date().toISOString().slice(0, 10);
  const firstDay = dayOf();
  t.equal(await fetchFile({}), 30_000, 'a complete download, anonymous');
  t.equal(await waitFor('the download counted', async () => ((await downloads()) >= 1 ? downloads() : undefined), 20_000, 200), 1, 'counted once complete');
  t.equal(await fetchFile({}), 30_000, 'the same caller again the same day');
  const bob = await http(`${c.trackerUrl}/api/account/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bob', password: 'bob password 1' }) });
  t.equal(bob.status, 201, 'another account');
  const bobToken = JSON.parse((await http(`${c.trackerUrl}/api/account/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bob', password: 'bob password 1', token: 'cli' }) })).text) as { token: string };
  t.equal(await fetchFile({ authorization: `Bearer ${bobToken.token}` }, '0-14999'), 15_000, 'half the file, by another caller');
  // A third caller's complete download: the node's beat that reports it reports the two before it too.
  t.equal(await fetchFile({ authorization: `Bearer ${token}` }), 30_000, 'a complete download by the uploader, signed in');
  const expected = dayOf() === firstDay ? 2 : 3;
  const after = await waitFor('the third caller counted', async () => ((await downloads()) >= expected ? downloads() : undefined), 20_000, 200);
  t.equal(after, expected, 'the repeat and the half counted nothing');
  const metrics = (await http(`${c.trackerUrl}/metrics`, { headers: metricsAuth(c.secret) })).text;
  t.equal(completeDownloads(metrics) - completeBefore, expected, 'the tracker\'s metric counts them too');
  t.match(metrics, /^hoard_download_count_writes_total\{result="failed"\} 0$/m, 'every batch written');
  const api = await http(`${c.trackerUrl}/api/account/links`, { headers: { authorization: `Bearer ${token}` } });
  t.match(JSON.parse(api.text), { links: [{ filename: 'report ann.pdf', size: 30_000, link, downloads: expected }] }, 'the account API says the same');
  t.notOk('next' in (JSON.parse(api.text) as object), 'one page');
  t.equal((await http(`${c.trackerUrl}/api/account/links`)).status, 401, 'only for the account');
  const ls = await run(process.execPath, [BIN.client, 'ls'], { env: { ...process.env, HOARD_TRACKER: c.trackerUrl, HOARD_TOKEN: token, HOARD_LOG_LEVEL: 'warn', HOARD_STATE_DIR: join(work.dir, 'state') }, timeoutMs: 30_000 });
  t.equal(ls.code, 0, describeRun(ls));
  const table = ls.stdout.trimEnd().split('\n').map((line) => line.split(/ {2,}/));
  t.same(table[0], ['NAME', 'SIZE', 'DOWNLOADS', 'UPLOADED', 'LINK'], 'hoard ls: a table');
  t.match(table.slice(1), [['report ann.pdf', '29.3 KiB', String(expected), /^\d{4}-\d\d-\d\dT/, link]], 'with the file\'s downloads');

  await page.goto(`${c.trackerUrl}/account`);
  const listed = await page.$$eval('section[aria-labelledby="files-title"] tbody tr', (trs) =>
    trs.map((tr) => ({
      name: tr.querySelector('th a')?.textContent ?? '',
      href: tr.querySelector('th a')?.getAttribute('href') ?? '',
      size: tr.querySelector('td')?.textContent ?? '',
      downloads: tr.querySelector('td.num')?.textContent ?? '',
    })),
  );
  t.same(listed, [{ name: 'report ann.pdf', href: row?.link ?? '-', size: '29.3 KiB', downloads: String(expected) }], 'My files lists it: name, link, size, downloads');
  t.same(await page.$$eval('section[aria-labelledby="files-title"] thead th', (ths) => ths.map((th) => [th.textContent, th.getAttribute('scope')])), [
    ['Name', 'col'],
    ['Size', 'col'],
    ['Downloads', 'col'],
    ['Uploaded', 'col'],
    ['Actions', 'col'],
  ], 'a column header for each, Downloads among them');
  t.match(await page.textContent('dl.facts'), /Storage used\s*\d+%\s*29\.3 KiB of 200 GiB/, 'the storage used against the quota');
  await page.screenshot({ path: join(shots, 'account-desktop.png'), fullPage: true });
  t.ok(await phoneShotIn(page, 'account-phone.png'), 'the account page fits a phone screen');
  await Promise.all([page.waitForURL(`${c.trackerUrl}/account`), page.click('button[aria-label="Delete report ann.pdf"]')]);
  t.match(await page.textContent('[role="status"]'), /Deleted “report ann\.pdf”/, 'deleted, said in words');
  t.match(await page.textContent('main'), /No files yet/, 'the list is empty again');
  t.match(await page.textContent('dl.facts'), /Storage used\s*0%\s*0 B of 200 GiB/, 'its bytes given back');
  t.equal((await http(row?.link ?? c.trackerUrl)).status, 404, 'the link no longer works');
  await page.click('button[aria-label="Revoke token laptop"]');
  t.equal((await http(`${c.trackerUrl}/api/account`, { headers: { authorization: `Bearer ${token}` } })).status, 401, 'a revoked token signs nothing in');

  // A cross-site form cannot act for ann: no Origin of ours, no custom header.
  const cookies = await page.context().cookies();
  const session = cookies.find((k) => k.name === 'hoard_session');
  t.ok(session?.httpOnly, 'the session cookie is HttpOnly');
  const forged = await http(`${c.trackerUrl}/account/tokens`, {
    method: 'POST',
    headers: { cookie: `hoard_session=${session?.value}`, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: 'name=evil',
  });
  t.equal(forged.status, 403, 'a forged cross-site form is refused');

  await Promise.all([page.waitForURL(`${c.trackerUrl}/`), page.click('form[action="/logout"] button')]);
  t.match(await page.textContent('header.site nav'), /Sign in/, 'signed out');
  t.same(problems, [], 'no script error, no CSP violation, no third-party request');
});

await t.test('a wrong password is refused on the page, in words', async (t) => {
  const { page } = await newPage(t);
  await page.goto(`${c.trackerUrl}/login`);
  await page.fill('#login-name', 'ann');
  await page.fill('#login-password', 'not the password');
  const [res] = await Promise.all([page.waitForResponse((r) => r.url() === `${c.trackerUrl}/login` && r.request().method() === 'POST'), page.click('form[action="/login"] button')]);
  t.equal(res.status(), 401);
  t.match(await page.textContent('[role="alert"]'), /Wrong account name or password/);
  t.equal(await page.inputValue('#login-name'), 'ann', 'the name typed is kept');
});

await t.test('the cluster page, for an administrator', async (t) => {
  await c.api('POST', '/internal/admin/users', { name: 'root', password: 'a long admin password', tier: 'admin' });
  const { page, problems } = await newPage(t);
  await page.goto(`${c.trackerUrl}/login`);
  await page.fill('#login-name', 'root');
  await page.fill('#login-password', 'a long admin password');
  await Promise.all([page.waitForURL(`${c.trackerUrl}/account`), page.click('form[action="/login"] button')]);
  await page.click('header.site nav a[href="/admin"]');
  t.equal(await page.textContent('h1'), 'Cluster');
  t.match(await page.textContent('main'), new RegExp(`Zone a: 1 of 1 up`), 'the node, by zone');
  t.match(await page.textContent('main'), /Saved by deduplication/);
  await page.screenshot({ path: join(shots, 'admin-desktop.png'), fullPage: true });
  t.same(problems, [], 'no script error, no CSP violation, no third-party request');
});
