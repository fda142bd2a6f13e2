/**
 * A new user's first run (issue 11), in Chromium with `--enable-unsafe-webgpu` on this GPU-less machine (WebGPU is
 * SwiftShader, a software renderer): the first-visit defaults let "Auto" measure the backends, start on the fastest
 * (wasm here) and say why on the badge; the first epoch's charts appear soon after Train (measured and written to
 * test-results/e2e/first-run.json; the assertion is generous — speed targets live in the benchmarks); a second visit
 * uses the cached measurement and downloads no data (Cache Storage); offline, a reload still trains (service worker).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { ARTIFACTS, POLL, e2eEnabled, openApp, useApp, waitPhase } from './harness';

const RUN = e2eEnabled('first run');

/** Bytes fetched over the network (GET) by every page and worker of `context`: all, and of the data pack. */
function countBytes(context: BrowserContext): { all: () => number; data: () => number; gets: () => number } {
  let all = 0;
  let data = 0;
  let gets = 0;
  context.on('requestfinished', (req) => {
    if (req.method() !== 'GET' || !req.url().startsWith('http')) return;
    const isData = /\/data\/[^/]+\.(ltpg|json)/.test(req.url());
    if (isData) gets++;
    void req
      .sizes()
      .then((s) => {
        all += s.responseBodySize + s.responseHeadersSize;
        if (isData) data += s.responseBodySize;
      })
      .catch(() => undefined);
  });
  return { all: () => all, data: () => data, gets: () => gets };
}

describe.runIf(RUN)('first run in Chromium (production build, software WebGPU)', () => {
  const app = useApp();

  it('first-visit defaults: Auto measures and picks the fastest with the reason on the badge; first charts soon after Train; a second visit uses the caches', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const net = countBytes(context);
    const tOpen = Date.now();
    const { page, errors } = await openApp(await context.newPage(), app.url, '', { ready: 120_000 });
    const readyS = (Date.now() - tOpen) / 1000;
    await page.waitForTimeout(500); // the last response sizes
    const bytesBeforeTrain = { all: net.all(), data: net.data() };
    console.log(`[first-run] before Train is enabled: ${bytesBeforeTrain.all} bytes in all, ${bytesBeforeTrain.data} of data`);
    // the manifest and part 0 of the pack (the images the default draw selects and 50 test images per class), not
    // the whole 18 MB: issue 11's target is ≤ 3 MB of data before Train is enabled
    expect(bytesBeforeTrain.data).toBeGreaterThan(1_000_000);
    expect(bytesBeforeTrain.data).toBeLessThanOrEqual(3_000_000);
    const badge = page.locator('[data-backend]');
    const backend = await badge.getAttribute('data-backend');
    const why = (await badge.getAttribute('aria-label')) ?? '';
    console.log(`[first-run] ready after ${readyS.toFixed(1)} s on ${backend}: ${why}`);
    // on this machine WebGPU is SwiftShader: measured far slower than wasm, and the badge says so
    expect(backend).toBe('wasm');
    expect(why).toMatch(
      /wasm \(\d+ ms\/step, fastest measured\) — WebGPU here is a software renderer \(SwiftShader\): (over )?\d+(\.\d)?× slower/,
    );
    expect(await badge.textContent()).toMatch(/software renderer/);

    const tTrain = Date.now();
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    // the first epoch's charts: a point on the many/medium/few accuracy chart
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=epoch-counter]')?.getAttribute('data-epoch')) >= 1, null, {
      timeout: 180_000,
    });
    await expect.poll(async () => Number(await page.getByTestId('chart-groups').getAttribute('data-points')), POLL).toBeGreaterThan(0);
    const firstChartS = (Date.now() - tTrain) / 1000;
    console.log(`[first-run] first epoch's charts ${firstChartS.toFixed(1)} s after Train`);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await waitPhase(page, ['paused', 'stageDone']);
    expect(firstChartS).toBeLessThan(120); // target 20 s on this machine; generous on a shared 2-core box
    const firstGets = net.gets();
    expect(firstGets).toBe(2); // the manifest and part 0
    // the service worker has the app shell once the first run was ready
    await page.waitForFunction(
      async () => {
        const list = (await (await fetch('sw-assets.json')).json()) as string[];
        const cache = await caches.open('ltpg-app-v1');
        const have = await Promise.all(list.map((f) => cache.match(new URL(f, location.href).href)));
        return !!navigator.serviceWorker.controller && have.every(Boolean);
      },
      null,
      { timeout: 60_000, polling: 1000 },
    );

    // second visit (same browser profile): the cached measurement, and no data download
    await page.reload();
    await waitPhase(page, ['ready'], 120_000);
    expect(await badge.getAttribute('data-backend')).toBe('wasm');
    expect(await badge.getAttribute('aria-label')).toMatch(/measured earlier in this browser/);
    expect(net.gets()).toBe(firstGets);

    // offline: the page, the engine and the data come from the caches, and it still trains
    await context.setOffline(true);
    await page.reload();
    await waitPhase(page, ['ready'], 120_000);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=step-counter]')?.getAttribute('data-step')) >= 1, null, {
      timeout: 60_000,
    });
    await context.setOffline(false);
    writeFileSync(
      join(ARTIFACTS, 'first-run.json'),
      JSON.stringify(
        { readyS, firstChartS, backend, why, bytesBeforeTrain, secondVisitDataGets: net.gets() - firstGets, offlineTrains: true },
        null,
        1,
      ),
    );
    // offline, the worker's background check of the cached data fails (a console line) — nothing else may
    expect(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED/.test(e))).toEqual([]);
    await context.close();
  }, 420_000);
});
