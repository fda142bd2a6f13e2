/**
 * What every browser test file shares: whether to run (under CI=true always: a missing Chromium fails the tests
 * instead of skipping them), the production build served and Chromium launched around a describe block
 * (`useApp()`), opening the app with its console errors collected (`openApp`), and waiting for the phase.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { CHROMIUM, chromiumAvailable, launchChromium } from './browser';
import { ROOT, productionBuild } from './dist';
import { serveStatic, type ServedRequest, type StaticServer } from './server';

/** Screenshots and other artefacts of the browser tests. */
export const ARTIFACTS = join(ROOT, 'test-results/e2e');
/** expect.poll options (the default 1 s is short on a loaded 2-core machine). */
export const POLL = { timeout: 30_000, interval: 100 };

export const CI = process.env.CI === 'true' || process.env.CI === '1';

/** Whether the browser tests run: always under CI, else when Chromium is installed (a warning says why not). */
export function e2eEnabled(what = ''): boolean {
  const run = CI || chromiumAvailable();
  if (!run)
    console.warn(
      `[e2e] ${what ? `${what} ` : ''}skipped: ${CHROMIUM} not found (install Debian's chromium; under CI=true these tests fail instead)`,
    );
  return run;
}

export interface App {
  /** Chromium, launched by beforeAll. */
  readonly browser: Browser;
  /** Base URL of the served production build (no trailing slash). */
  readonly url: string;
  /** Every request the server answered, with its bytes on the wire (the server compresses as a host does). */
  readonly served: readonly ServedRequest[];
  /** A temporary folder made by beforeAll when `tmpPrefix` is given, removed by afterAll. */
  readonly tmp: string;
}

/**
 * Registers beforeAll / afterAll in the calling describe block: the shared production build served on a free port
 * and Chromium launched (a missing Chromium throws: the tests only get here when it is expected); both closed after.
 */
export function useApp(opts: { tmpPrefix?: string; timeout?: number } = {}): App {
  let browser: Browser | undefined;
  let server: StaticServer | undefined;
  let tmp: string | undefined;
  beforeAll(async () => {
    if (!chromiumAvailable()) throw new Error(`CI=true but ${CHROMIUM} is missing: install Debian's chromium package`);
    mkdirSync(ARTIFACTS, { recursive: true });
    if (opts.tmpPrefix) tmp = mkdtempSync(join(tmpdir(), opts.tmpPrefix));
    server = await serveStatic(await productionBuild());
    browser = await launchChromium();
  }, opts.timeout ?? 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  const started = <T>(x: T | undefined, what: string): T => {
    if (x === undefined) throw new Error(`useApp: no ${what} (beforeAll did not run or failed)`);
    return x;
  };
  return {
    get browser() {
      return started(browser, 'browser');
    },
    get url() {
      return started(server, 'server').url;
    },
    get served() {
      return started(server, 'server').served;
    },
    get tmp() {
      return started(tmp, 'temporary folder (pass tmpPrefix)');
    },
  };
}

/** Collects console errors and uncaught page errors of a page, or of every page of a context. */
export function collectErrors(target: Page | BrowserContext): string[] {
  const errors: string[] = [];
  const onConsole = (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(m.text());
  };
  if ('goto' in target) {
    target.on('console', onConsole);
    target.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  } else {
    target.on('console', onConsole);
    target.on('weberror', (e) => errors.push(`pageerror: ${e.error().message}`));
  }
  return errors;
}

export interface OpenOptions {
  /** Viewport of a new page (default 1400 × 1000); ignored when a page is given. */
  viewport?: { width: number; height: number };
  /** Runs in the page before its scripts (page.addInitScript), e.g. to record long tasks. */
  init?: () => void;
  /** How long to wait for the phase 'ready' (default 120 s); false: don't wait. */
  ready?: number | false;
  /** Show the first-visit introduction (default false: it is marked dismissed before the page's scripts run). */
  intro?: boolean;
}

/**
 * Opens the app at `url` with the query `query` in a new page of `browser` (or in the given page), collecting its
 * console errors and page errors, and waits until it is ready.
 */
export async function openApp(
  from: Browser | Page,
  url: string,
  query: string,
  opts: OpenOptions = {},
): Promise<{ page: Page; errors: string[] }> {
  const page = 'goto' in from ? from : await from.newPage({ viewport: opts.viewport ?? { width: 1400, height: 1000 } });
  const errors = collectErrors(page);
  if (opts.init) await page.addInitScript(opts.init);
  if (!opts.intro) await page.addInitScript(() => localStorage.setItem('ltpg:intro-dismissed', '1'));
  await page.goto(`${url}/${query ? `?${query}` : ''}`);
  if (opts.ready !== false) await waitPhase(page, ['ready'], opts.ready ?? 120_000);
  return { page, errors };
}

/** The training phase the page shows (data-phase of the phase badge). */
export const phaseOf = (page: Page) => page.locator('[data-testid=phase]').getAttribute('data-phase');

/** The step counter's value. */
export const stepOf = async (page: Page) => Number(await page.locator('[data-testid=step-counter]').getAttribute('data-step'));

/** Waits until the page shows one of `phases`; on timeout the error names the phase and the notices shown. */
export async function waitPhase(page: Page, phases: string[], timeout = 120_000): Promise<void> {
  await page
    .waitForFunction((ps) => ps.includes(document.querySelector('[data-testid=phase]')?.getAttribute('data-phase') ?? ''), phases, {
      timeout,
    })
    .catch(async (e) => {
      const notices = await page.locator('.notices, [data-testid=crash], [data-testid=upload-error]').allTextContents();
      throw new Error(
        `phase ${await phaseOf(page)} instead of ${phases.join('|')}; notices: ${notices.join(' / ')} (${(e as Error).message})`,
      );
    });
}

/** Waits until the step counter reaches `atLeast`. */
export async function waitStep(page: Page, atLeast: number, timeout = 120_000): Promise<void> {
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=step-counter]')?.getAttribute('data-step')) >= n, atLeast, {
    timeout,
  });
}

/** Data points drawn by each chart, by chart id (data-testid "chart-<id>"). */
export async function chartPoints(page: Page): Promise<Record<string, number>> {
  return page.$$eval('[data-testid^="chart-"]', (els) =>
    Object.fromEntries(els.map((e) => [e.getAttribute('data-testid')!.slice(6), Number(e.getAttribute('data-points'))])),
  );
}
