// A real Chromium for the pages' tests, driven by playwright-core: the
// system's browser (Debian's chromium package, or $CHROMIUM), one launch per
// test file, closed in teardown. Also makes sure the pages' bundle the
// tracker serves is built from the current source.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { REPO_ROOT } from './repo-root.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser binary, or undefined when none is installed. */
export function chromiumPath(): string | undefined {
  const env = process.env.CHROMIUM;
  if (env) return env;
  return CANDIDATES.find((p) => existsSync(p));
}

interface TeardownHost {
  teardown(fn: () => unknown): void;
}

export async function useBrowser(t: TeardownHost): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('no Chromium found (apt-get install chromium, or set CHROMIUM)');
  const browser = await chromium.launch({ executablePath, headless: true, timeout: 60_000 });
  t.teardown(() => browser.close());
  return browser;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

/**
 * Builds the bundle when it is missing or older than its source (a test
 * run after `tsc` alone). npm run build has already made it in CI, so
 * trackers of other test files never see the folder being rewritten.
 */
export async function ensureWebBuilt(): Promise<void> {
  const manifest = join(REPO_ROOT, 'dist', 'tracker', 'web', 'static', 'manifest.json');
  const src = join(REPO_ROOT, 'tracker', 'web', 'browser');
  if (existsSync(manifest) && statSync(manifest).mtimeMs >= newestMtime(src)) return;
  await buildWeb();
}

/** Where the test run saves its screenshots: $HOARD_SCREENSHOTS (docs/web to refresh the docs' pictures), else dist/screenshots. */
export function screenshotDir(): string {
  const dir = process.env.HOARD_SCREENSHOTS ? resolve(REPO_ROOT, process.env.HOARD_SCREENSHOTS) : join(REPO_ROOT, 'dist', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
