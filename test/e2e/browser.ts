import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ExecutionContext } from 'ava';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (scripts/ensure-chromium.sh installs it); never a browser downloaded by a test tool. */
export const CHROMIUM_PATH = process.env.VPM_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = resolve('test-artifacts/e2e');
/** A typical kiosk touch display in landscape; phones get their own size in the shop tests. */
export const KIOSK_VIEWPORT = { width: 1280, height: 800 };
export const PHONE_VIEWPORT = { width: 390, height: 844 };
const LAUNCH_TIMEOUT_MS = 30_000;

export interface BrowserRun {
  browser: Browser;
  /** Uncaught page errors and console errors other than failed loads (a 404 thumbnail, a refused code). */
  problems: string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
}

/**
 * Headless Chromium with a fake camera: Chromium's own test pattern, or `cameraFile` (a Y4M video,
 * see fake-camera.ts) played in a loop. Permission prompts are answered "allow". Closed on teardown.
 */
export async function launchChromium(t: ExecutionContext, opts: { cameraFile?: string } = {}): Promise<BrowserRun> {
  await access(CHROMIUM_PATH).catch(() => {
    throw new Error(`${CHROMIUM_PATH} is missing: run scripts/ensure-chromium.sh (installs Debian's chromium)`);
  });
  const args = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
  if (opts.cameraFile) args.push(`--use-file-for-fake-video-capture=${opts.cameraFile}`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Tests run as root in CI, where Chromium's sandbox cannot start.
    chromiumSandbox: false,
    args: [...args, '--no-sandbox'],
    timeout: LAUNCH_TIMEOUT_MS,
  });
  t.teardown(() => browser.close());
  const problems: string[] = [];
  return {
    browser,
    problems,
    async newPage(viewport = KIOSK_VIEWPORT) {
      const context = await browser.newContext({ viewport, hasTouch: true });
      const page = await context.newPage();
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
          problems.push(`console: ${msg.text()}`);
        }
      });
      return page;
    },
  };
}

/** Saves what the page shows now as test-artifacts/e2e/<name>.png (gitignored) and returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}

/** Browser-side snippets are strings: the tests type-check against Node's lib, not the DOM's. */
const THUMBNAILS_SHOWN = `[...document.querySelectorAll('.print img')].every((i) => i.dataset.loaded && i.naturalWidth > 0)`;
const RECORD_CARD_STATES = `
  window.kioskStatesSeen = {};
  const note = (unit, state) => {
    const seen = window.kioskStatesSeen[unit] || (window.kioskStatesSeen[unit] = []);
    if (state && seen[seen.length - 1] !== state) seen.push(state);
  };
  new MutationObserver((records) => {
    // Records arrive in batches; each one's old value keeps states that changed again before the batch.
    for (const r of records) if (r.target.dataset.unit !== undefined) note(r.target.dataset.unit, r.oldValue);
    for (const r of records) if (r.target.dataset.unit !== undefined) note(r.target.dataset.unit, r.target.dataset.state);
  }).observe(document, { subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['data-state'] });`;

export interface PrintCard {
  state: string | null;
  source: string | null;
  note: string | null;
}

/** What each print card on the kiosk's progress screen says now. */
export function printCards(page: Page): Promise<PrintCard[]> {
  return page.$$eval('.print', (cards) =>
    cards.map((c) => ({
      state: c.getAttribute('data-state'),
      source: c.getAttribute('data-source'),
      note: c.querySelector('.print-note')?.textContent ?? null,
    })),
  );
}

/** Waits until every print card shows its photo. */
export async function thumbnailsShown(page: Page): Promise<void> {
  await page.waitForFunction(THUMBNAILS_SHOWN);
}

/** From the next navigation on, records every state each print card passes through, however briefly. */
export async function recordCardStates(page: Page): Promise<void> {
  await page.addInitScript({ content: RECORD_CARD_STATES });
}

export async function cardStatesSeen(page: Page): Promise<Record<string, string[]>> {
  return (await page.evaluate('window.kioskStatesSeen')) as Record<string, string[]>;
}

/**
 * Waits for the kiosk to show `screen`; if it shows a refusal instead, fails with its words (a
 * timeout alone would not say what the kiosk did with the code).
 */
export async function waitForKioskScreen(page: Page, screen: string, timeoutMs = 30_000): Promise<void> {
  const shown = await page.waitForSelector(`#kiosk:is([data-screen="${screen}"], [data-screen="message"])`, {
    timeout: timeoutMs,
  });
  const actual = await shown.getAttribute('data-screen');
  if (actual !== screen) {
    throw new Error(`the kiosk showed a message instead of "${screen}": ${await page.textContent('#screen-message')}`);
  }
}
