/**
 * A first visit under "Auto", in Chromium with a software WebGPU adapter (`--enable-unsafe-webgpu`: SwiftShader) and
 * in a default one (WebGL on SwiftShader, no WebGPU): Train is enabled before the background measurement of the
 * backends has finished; a run started at once trains to its end (the measurement waits for it), and afterwards the
 * measurement says what won and why — on one line at 390 px. The page records, as the DOM changes, when Train turned
 * enabled and when the measurement started and ended (an order of events, not a speed).
 */
import { describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './browser';
import { POLL, e2eEnabled, openApp, stepOf, useApp, waitPhase } from './harness';

const RUN = e2eEnabled('fast start');

const TINY = 'nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&head=linear&epochs=2';

interface Timeline {
  trainAt: number | null;
  measureStartAt: number | null;
  measureEndAt: number | null;
  states: string[];
}

/** In the page before its scripts: notes when Train is first enabled and when the badge's measurement starts / ends. */
function recordTimeline(): void {
  const t: Timeline = { trainAt: null, measureStartAt: null, measureEndAt: null, states: [] };
  (window as unknown as { __timeline: Timeline }).__timeline = t;
  const check = () => {
    const now = performance.now();
    const train = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Train');
    if (t.trainAt === null && train && !train.disabled) t.trainAt = now;
    const m = document.querySelector('[data-backend]')?.getAttribute('data-measuring') ?? null;
    if (m !== null && t.states[t.states.length - 1] !== m) t.states.push(m);
    if (m === 'measuring' && t.measureStartAt === null) t.measureStartAt = now;
    if (m === '' && t.measureStartAt !== null && t.measureEndAt === null) t.measureEndAt = now;
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
}

async function firstVisit(browser: Browser, url: string, webgpu: boolean): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const { errors } = await openApp(page, url, TINY, { init: recordTimeline });
  // Train at once: the run starts before the measurement has finished
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitPhase(page, ['stageDone'], 240_000);
  expect(Number(await page.getByTestId('epoch-counter').getAttribute('data-epochs-done'))).toBe(2);
  await expect.poll(async () => Number(await page.getByTestId('chart-groups').getAttribute('data-points')), POLL).toBeGreaterThan(0);
  // every step of both epochs trained once
  const perEpoch = Number(/\/\s*(\d+)/.exec((await page.getByTestId('batch-counter').textContent()) ?? '')?.[1]);
  expect(perEpoch).toBeGreaterThan(0);
  expect(await stepOf(page)).toBe(2 * perEpoch);
  // idle again: the measurement resumes and ends
  const badge = page.locator('[data-backend]');
  await expect.poll(async () => await badge.getAttribute('data-measuring'), { timeout: 90_000, interval: 200 }).toBe('');
  const t = await page.evaluate(() => (window as unknown as { __timeline: Timeline }).__timeline);
  expect(t.trainAt, JSON.stringify(t)).not.toBeNull();
  expect(t.measureStartAt, JSON.stringify(t)).not.toBeNull();
  expect(t.measureEndAt, JSON.stringify(t)).not.toBeNull();
  expect(t.trainAt!, JSON.stringify(t)).toBeLessThan(t.measureEndAt!);
  // Train stopped the measurement; it waited for the run and then measured
  expect(t.states, JSON.stringify(t)).toEqual(expect.arrayContaining(['measuring', 'waiting']));
  expect(t.states.indexOf('waiting')).toBeLessThan(t.states.lastIndexOf('measuring'));
  // what won and why: wasm, the software renderers slower
  expect(await badge.getAttribute('data-backend')).toBe('wasm');
  const why = (await badge.getAttribute('aria-label')) ?? '';
  expect(why).toMatch(/wasm \(\d+ ms\/step, fastest measured\)/);
  expect(why).toMatch(webgpu ? /WebGPU here is a software renderer \(SwiftShader\)/ : /WebGL here is a software renderer \(SwiftShader\)/);
  if (!webgpu) expect(why).toMatch(/WebGPU failed \(WebGPU unavailable\)/);
  expect(await badge.locator('.badge-reason').textContent()).toMatch(/^(WebGPU|WebGL) ≥?\d+(\.\d)?× slower$/);
  // one line at 390 px
  const lines = await badge.evaluate((el) => {
    const lh = parseFloat(getComputedStyle(el).fontSize) * 1.6;
    return el.querySelector('.badge-reason')!.getBoundingClientRect().height / lh;
  });
  expect(lines).toBeLessThan(1.5);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(errors).toEqual([]);
  await context.close();
}

describe.runIf(RUN)('a first visit starts at once and measures the backends in the background (production build)', () => {
  const app = useApp();

  it('with a software WebGPU adapter: Train before the measurement ends, the run completes, then the badge says what won', async () => {
    await firstVisit(app.browser, app.url, true);
  }, 420_000);

  it('in a default Chromium (no WebGPU): the same', async () => {
    const plain = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu'),
      headless: true,
    });
    try {
      await firstVisit(plain, app.url, false);
    } finally {
      await plain.close();
    }
  }, 420_000);
});
