/**
 * Threaded wasm in Chromium (production build): the e2e server sends COOP/COEP like `vite preview`, so the page is
 * cross-origin isolated and tfjs' threaded SIMD build runs with the threads asked for (2 here, set in the URL: the
 * automatic count depends on the machine); 5 steps on 2 threads give the losses of 5 steps on 1 thread. A host without
 * the headers and without a service worker trains on one thread and the badge says why; with the service worker the
 * page reloads once through it and is isolated from then on (and does not reload again).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { launchChromium } from './browser';
import { productionBuild } from './dist';
import { POLL, e2eEnabled, openApp, stepOf, useApp, waitPhase } from './harness';
import { serveStatic, type StaticServer } from './server';

const RUN = e2eEnabled('wasm threads');

/** 78 training images in 5 batches of 16: one epoch is 5 steps. */
const TINY = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&head=linear&epochs=1';

const badgeOf = (page: Page) => page.locator('.app-header [data-backend]');

/** Trains the one epoch and returns its per-step losses (the metrics JSON of the export dialog, full precision). */
async function trainLosses(page: Page, tmp: string): Promise<number[]> {
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitPhase(page, ['stageDone'], 180_000);
  expect(await stepOf(page)).toBe(5);
  await page.getByRole('button', { name: 'Export…' }).click();
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    page.getByTestId('export-dialog').getByRole('button', { name: 'All metrics (JSON)', exact: true }).click(),
  ]);
  const path = join(tmp, `${Date.now()}-${dl.suggestedFilename()}`);
  await dl.saveAs(path);
  const json = JSON.parse(readFileSync(path, 'utf8')) as { batches: { step: number; loss: number }[] };
  return json.batches.map((b) => b.loss);
}

describe.runIf(RUN)('threaded wasm on a cross-origin-isolated page (COOP/COEP headers)', () => {
  const app = useApp({ tmpPrefix: 'ltpg-threads-' });

  it('is cross-origin isolated, runs tfjs wasm on 2 threads and trains; the losses equal those of 1 thread (1e-5 relative)', async () => {
    const two = await openApp(app.browser, app.url, `${TINY}&threads=2`);
    expect(await two.page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    const badge = badgeOf(two.page);
    expect(await badge.getAttribute('data-backend')).toBe('wasm');
    // the worker's init result: the threads tfjs really runs (its own count, after the pool started)
    expect(Number(await badge.getAttribute('data-wasm-threads'))).toBe(2);
    expect(await badge.getAttribute('aria-label')).toMatch(/2 threads \(set\)/);
    expect(await badge.locator('.badge-threads').textContent()).toBe(' · 2 threads');
    const threaded = await trainLosses(two.page, app.tmp);
    expect(two.errors).toEqual([]);
    await two.page.close();

    const one = await openApp(app.browser, app.url, `${TINY}&threads=1`);
    expect(Number(await badgeOf(one.page).getAttribute('data-wasm-threads'))).toBe(1);
    expect(await badgeOf(one.page).getAttribute('aria-label')).toMatch(/1 thread \(set\)/);
    const single = await trainLosses(one.page, app.tmp);
    expect(one.errors).toEqual([]);
    await one.page.close();

    expect(threaded.length).toBe(5);
    expect(single.length).toBe(5);
    for (let i = 0; i < 5; i++) {
      expect(Number.isFinite(threaded[i])).toBe(true);
      expect(Math.abs(threaded[i] - single[i]) / Math.abs(single[i]), `step ${i + 1}: ${threaded[i]} vs ${single[i]}`).toBeLessThanOrEqual(
        1e-5,
      );
    }
    console.log(`[e2e] wasm losses, 2 threads: ${threaded.join(', ')}; 1 thread: ${single.join(', ')}`);
  }, 420_000);
  it('the WASM threads setting restarts the worker with the new count (and the URL keeps it)', async () => {
    const { page, errors } = await openApp(app.browser, app.url, `${TINY}&threads=2`);
    expect(Number(await badgeOf(page).getAttribute('data-wasm-threads'))).toBe(2);
    await page.getByLabel('WASM threads').selectOption('1');
    await expect.poll(async () => Number(await badgeOf(page).getAttribute('data-wasm-threads')), POLL).toBe(1);
    await waitPhase(page, ['ready'], 120_000);
    expect(await badgeOf(page).getAttribute('aria-label')).toMatch(/1 thread \(set\)/);
    await expect.poll(() => new URL(page.url()).searchParams.get('threads'), POLL).toBe('1');
    await page.getByLabel('WASM threads').selectOption('auto');
    await expect.poll(async () => await badgeOf(page).getAttribute('aria-label'), POLL).toMatch(/threads? \(automatic: \d+ cores/);
    await expect.poll(() => new URL(page.url()).searchParams.get('threads'), POLL).toBe('auto');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone'], 180_000);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it('"Copy diagnostics" in the backend panel copies JSON with the adapter, the backend and why, isolation and the threads', async () => {
    const context = await app.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const { page, errors } = await openApp(await context.newPage(), app.url, `${TINY}&threads=2`);
    await page.getByRole('button', { name: 'Backend details' }).click();
    const panel = page.getByTestId('backend-panel');
    expect(await panel.getByTestId('backend-panel-threads').textContent()).toBe('2 threads (set)');
    await panel.getByRole('button', { name: 'Copy diagnostics' }).click();
    await expect.poll(async () => await panel.getByRole('status').textContent(), POLL).toBe('Copied to the clipboard.');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(await panel.getByTestId('diagnostics-text').inputValue());
    const d = JSON.parse(copied);
    expect(d.format).toBe('ltpg-diagnostics-v1');
    expect(d.build.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(d.browser.userAgent).toMatch(/Chrome\//);
    // --enable-unsafe-webgpu: SwiftShader's adapter, with its limits and the three features named
    expect(d.webgpu.limits.maxBufferSize).toBeGreaterThan(0);
    expect(Array.isArray(d.webgpu.features)).toBe(true);
    expect(Object.keys(d.webgpu.keyFeatures).sort()).toEqual(['shader-f16', 'subgroups', 'timestamp-query']);
    expect(typeof d.webgpu.info.vendor).toBe('string');
    expect(d.backend).toMatchObject({ choice: 'wasm', running: 'wasm', engine: 'tfjs' });
    expect(d.backend.reason).toMatch(/wasm/);
    expect(d).toHaveProperty('selfCheck', null);
    expect(d.crossOriginIsolated).toBe(true);
    expect(d.wasm).toEqual({ threads: 2, why: '2 threads (set)' });
    // the open panel (with the JSON shown) has no serious or critical accessibility problem
    const axe = await new AxeBuilder({ page }).include('[data-testid=backend-panel]').analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);
});

describe.runIf(RUN)('threaded wasm on a host without COOP/COEP headers', () => {
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await serveStatic(await productionBuild(), 0, { isolate: false });
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('no service worker: not isolated, trains on one thread, and the badge says why', async () => {
    const context = await browser!.newContext({ serviceWorkers: 'block' });
    const { page, errors } = await openApp(await context.newPage(), server!.url, `${TINY}&threads=2`);
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(false);
    const badge = badgeOf(page);
    expect(Number(await badge.getAttribute('data-wasm-threads'))).toBe(1);
    expect(await badge.getAttribute('aria-label')).toMatch(/not cross-origin isolated: 1 thread/);
    expect(await badge.getAttribute('title')).toMatch(/not cross-origin isolated: 1 thread/);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone'], 180_000);
    expect(await stepOf(page)).toBe(5);
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);

  it('with the service worker: one reload through it, then isolated on 2 threads, and no further reload', async () => {
    const context = await browser!.newContext();
    const page = await context.newPage();
    let loads = 0;
    page.on('load', () => loads++);
    const { errors } = await openApp(page, server!.url, `${TINY}&threads=2`, { ready: false });
    await expect
      .poll(() => page.evaluate(() => window.crossOriginIsolated).catch(() => false), { timeout: 120_000, interval: 250 })
      .toBe(true);
    await waitPhase(page, ['ready'], 120_000);
    expect(Number(await badgeOf(page).getAttribute('data-wasm-threads'))).toBe(2);
    // the reload happened once; a while later there is no other
    await page.waitForTimeout(3000);
    expect(loads).toBe(2);
    // a later visit in the same tab is served (and isolated) by the service worker from the start
    await page.reload();
    await waitPhase(page, ['ready'], 120_000);
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    expect(loads).toBe(3);
    await expect.poll(async () => Number(await badgeOf(page).getAttribute('data-wasm-threads')), POLL).toBe(2);
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);
});
