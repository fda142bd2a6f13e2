/**
 * Browser tests of the playground: the production build (vite build) served by a tiny static server, driven with
 * playwright-core in Debian's Chromium (software WebGPU: SwiftShader). Part of `npm test`; under CI=true they
 * always run (a missing Chromium fails them), locally they are skipped only when /usr/bin/chromium is absent.
 *
 * SwiftShader WebGPU is slow (≈ 5 s per ConvNet step, ≈ 20 s of shader compilation), so the WebGPU tests use tiny
 * URL configurations (20 head-class images, IF 10 → 78 images, batch 16, 2 test images per class) and the tests
 * of the controls run on the wasm backend (`backend=wasm`), which trains the same configuration in a second.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ARTIFACTS, POLL, chartPoints, e2eEnabled, openApp, phaseOf, stepOf, useApp, waitPhase, waitStep } from './harness';

const RUN = e2eEnabled();

/** Tiny run on the embedded data: 78 training images in 5 batches of 16, 20 test images per evaluation. */
const TINY = 'nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&s2.epochs=1&s2.batch=16';
const WASM = `backend=wasm&${TINY}`;

/** Records the duration of every long task (≥ 50 ms) of the page in window.__longtasks. */
function recordLongTasks(): void {
  const w = window as unknown as { __longtasks: number[] };
  w.__longtasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longtasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* no longtask support */
  }
}

/** Forget the long tasks so far (page load, first render): measure training only. */
async function clearLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __longtasks: number[] }).__longtasks.length = 0;
  });
}

async function worstLongTask(page: Page): Promise<{ worst: number; count: number }> {
  const all = await page.evaluate(() => (window as unknown as { __longtasks: number[] }).__longtasks);
  return { worst: all.length ? Math.max(...all) : 0, count: all.length };
}

describe.runIf(RUN)('playground in Chromium (production build)', () => {
  const app = useApp();
  const open = (query: string) => openApp(app.browser, app.url, query, { init: recordLongTasks, ready: 90_000 });

  it('loads without console errors, "Auto" starts at once and then names the fastest backend it measured, the URL holds every setting', async () => {
    const { page, errors } = await open('');
    const badge = page.locator('[data-backend]');
    // ready on the backend that needs no measurement; the measurement goes on in the background while idle
    expect(await badge.getAttribute('data-backend')).toBe('wasm');
    await expect
      .poll(async () => await badge.getAttribute('aria-label'), { timeout: 60_000, interval: 200 })
      .toMatch(/^Backend: \w+(, engine \w+)? \(.*fastest measured/);
    expect(['webgpu', 'wasm', 'webgl']).toContain(await badge.getAttribute('data-backend'));
    await expect.poll(() => page.url(), POLL).toContain('dataset=fmnist-lt');
    const q = new URL(page.url()).searchParams;
    for (const k of [
      'if',
      'profile',
      'seed',
      'model',
      'head',
      'loss',
      'lp.s',
      'batch',
      'epochs',
      'lr',
      'momentum',
      'wd',
      'sampler',
      's2.epochs',
    ]) {
      expect(q.has(k), k).toBe(true);
    }
    expect(await page.getByTestId('running-line').textContent()).toMatch(/GCL.*ConvNet.*IF 100/);
    for (const name of ['Train', 'Pause', 'Step', 'Reset'])
      await expect.poll(() => page.getByRole('button', { name, exact: true }).count(), POLL).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('trains a tiny GCL run on WebGPU: every chart gets data, then GCL stage 2 runs after stage 1', async () => {
    const t0 = Date.now();
    const { page, errors } = await open(`backend=webgpu&${TINY}&loss=gcl&epochs=1`);
    expect(await page.locator('[data-backend]').getAttribute('data-backend')).toBe('webgpu');
    // the stage-2 section's button (disabled, with its reason) until stage 1 ends; then one beside Train too
    const stage2 = page.locator('.stage2-start').getByRole('button', { name: 'Start stage 2' });
    const headerStage2 = page.getByTestId('header-stage2');
    expect(await stage2.isDisabled()).toBe(true);
    expect(await headerStage2.count()).toBe(0);
    await clearLongTasks(page);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone'], 240_000);
    const t1 = Date.now();
    // charts may render a frame after the store update
    for (const id of ['loss', 'per-class', 'groups', 'feature-norm', 'gcl-cloud', 'confusion']) {
      await expect.poll(async () => (await chartPoints(page))[id], { ...POLL, message: id }).toBeGreaterThan(0);
    }
    expect(await page.getByTestId('announcement').textContent()).toMatch(/stage 2 can start/i);
    // stage 2 on the frozen backbone
    expect(await stage2.isEnabled()).toBe(true);
    expect(await headerStage2.isVisible()).toBe(true);
    expect(await headerStage2.getAttribute('aria-label')).toBe('Start stage 2');
    await headerStage2.click();
    await page.waitForFunction(() => document.querySelector('[data-testid=stage]')?.textContent === '2', null, { timeout: 30_000 });
    await waitPhase(page, ['stageDone'], 240_000);
    expect(await page.getByTestId('announcement').textContent()).toMatch(/Stage 2 finished/);
    const lt = await worstLongTask(page);
    console.log(
      `[e2e] WebGPU (SwiftShader): stage 1 in ${((t1 - t0) / 1000).toFixed(1)} s, stage 2 in ${((Date.now() - t1) / 1000).toFixed(1)} s; ` +
        `worst main-thread long task ${lt.worst.toFixed(0)} ms (${lt.count} long tasks ≥ 50 ms)`,
    );
    await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header belongs at the top of the picture
    await page.screenshot({ path: join(ARTIFACTS, 'playground.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 420_000);

  it('pause / step / resume, and an lr change mid-run applies at the next batch without a reset', async () => {
    const { page, errors } = await open(`${WASM}&nmax=200&epochs=100&schedule=constant&warmup=0&lr=0.1`);
    expect(await page.locator('[data-backend]').getAttribute('data-backend')).toBe('wasm');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitStep(page, 3);
    await page.getByRole('button', { name: 'Pause' }).click();
    await waitPhase(page, ['paused']);
    const n = await stepOf(page);
    await page.waitForTimeout(600);
    expect(await stepOf(page)).toBe(n);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await waitStep(page, n + 1);
    await page.waitForTimeout(300);
    expect(await stepOf(page)).toBe(n + 1);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitStep(page, n + 4);
    // lr change while running
    const before = await stepOf(page);
    const epochBefore = Number(await page.getByTestId('epoch-counter').getAttribute('data-epoch'));
    const lr = page.getByLabel('Learning rate', { exact: true });
    await lr.fill('0.0123');
    await lr.press('Enter');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=lr-value]')?.getAttribute('data-lr')) === 0.0123, null, {
      timeout: 30_000,
    });
    expect(await page.getByRole('dialog').isVisible()).toBe(false);
    expect(await stepOf(page)).toBeGreaterThan(before); // counters kept going: no reset
    expect(Number(await page.getByTestId('epoch-counter').getAttribute('data-epoch'))).toBeGreaterThanOrEqual(epochBefore);
    expect(await phaseOf(page)).toBe('running');
    expect(page.url()).toContain('lr=0.0123');
    await page.getByRole('button', { name: 'Pause' }).click();
    await waitPhase(page, ['paused']);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('keyboard shortcuts: s steps, Space plays and pauses, r resets (not while typing)', async () => {
    const { page, errors } = await open(`${WASM}&nmax=200&epochs=100`);
    await page.locator('h1').click();
    await page.keyboard.press('s');
    await waitStep(page, 1);
    await page.keyboard.press('Space');
    await waitPhase(page, ['running']);
    await waitStep(page, 4);
    await page.keyboard.press('Space');
    await waitPhase(page, ['paused']);
    const n = await stepOf(page);
    expect(n).toBeGreaterThanOrEqual(4);
    // typing in a field is not a shortcut
    await page.getByLabel('Seed', { exact: true }).focus();
    await page.keyboard.press('s');
    await page.waitForTimeout(400);
    expect(await stepOf(page)).toBe(n);
    await page.locator('h1').click();
    await page.keyboard.press('r');
    await page.waitForFunction(() => document.querySelector('[data-testid=step-counter]')?.getAttribute('data-step') === '0', null, {
      timeout: 30_000,
    });
    await waitPhase(page, ['ready']);
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000); // generous: on 2 cores other browser tests may run beside it

  it('CE, then a loss change asks before resetting (in-page dialog) and KPS trains next to the archived CE run', async () => {
    const { page, errors } = await open(`${WASM}&loss=ce&head=linear&epochs=2`);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone']);
    expect((await chartPoints(page)).kps).toBe(0);
    await page.getByLabel('Loss function').selectOption('kps');
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    expect(await dialog.textContent()).toMatch(/loss type/);
    // cancel keeps CE
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.isVisible(), POLL).toBe(false);
    expect(await page.getByLabel('Loss function').inputValue()).toBe('ce');
    await page.getByLabel('Loss function').selectOption('kps');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    await dialog.getByRole('button', { name: 'Reset and apply' }).click();
    await waitPhase(page, ['ready']);
    expect(await stepOf(page)).toBe(0);
    // KPS forces the cosine head: the head control is disabled with the reason
    expect(await page.getByLabel('Head', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByTestId('field-head').textContent()).toMatch(/KPS.*cosine/);
    // the hyperparameter help shows on focus and is linked by aria-describedby
    const maxM = page.getByLabel('Max margin');
    await maxM.focus();
    const helpId = (await maxM.getAttribute('aria-describedby'))!.split(' ')[0];
    await expect.poll(() => page.locator(`[id="${helpId}"]`).isVisible(), POLL).toBe(true);
    await page.locator('h1').click();
    await clearLongTasks(page);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone']);
    await expect.poll(async () => (await chartPoints(page)).kps, POLL).toBeGreaterThan(0);
    expect(await page.getByTestId('chart-loss').textContent()).toMatch(/earlier/);
    const lt = await worstLongTask(page);
    console.log(`[e2e] wasm run: worst main-thread long task ${lt.worst.toFixed(0)} ms (${lt.count} long tasks ≥ 50 ms)`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'playground-ce-kps.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('the URL round-trips: set controls → URL → reload → same controls', async () => {
    const { page, errors } = await open(`${WASM}&epochs=3`);
    const slider = page.getByLabel('Imbalance factor', { exact: true });
    // one press at a time: an IF change reconfigures the run, and the controls are disabled (focus lost) meanwhile
    for (let i = 1; i <= 5; i++) {
      await waitPhase(page, ['ready']);
      await slider.focus();
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => page.url(), POLL).toContain(`if=${10 + i}`);
    }
    await page.getByLabel('Loss function').selectOption('kps');
    await expect.poll(() => page.url(), POLL).toContain('loss=kps');
    await waitPhase(page, ['ready']);
    const maxM = page.getByLabel('Max margin');
    await maxM.fill('0.35');
    await maxM.press('Enter');
    // each commit reaches the URL before the next control is touched (as for the IF presses above)
    await expect.poll(() => page.url(), POLL).toContain('lp.maxM=0.35');
    const lr = page.getByLabel('Learning rate', { exact: true });
    await lr.fill('0.05');
    await lr.press('Enter');
    await expect.poll(() => page.url(), POLL).toContain('lr=0.05');
    await page.getByLabel('Profile').selectOption('step');
    await expect.poll(() => page.url(), POLL).toContain('profile=step');
    const url = page.url();
    for (const part of ['if=15', 'loss=kps', 'lp.maxM=0.35', 'lr=0.05', 'profile=step', 'head=cosine']) expect(url).toContain(part);
    await page.close();

    const again = await app.browser.newPage();
    await again.goto(url);
    await waitPhase(again, ['ready']);
    expect(await again.getByLabel('Imbalance factor', { exact: true }).inputValue()).toBe('15');
    expect(await again.getByLabel('Loss function').inputValue()).toBe('kps');
    expect(await again.getByLabel('Max margin').inputValue()).toBe('0.35');
    expect(await again.getByLabel('Learning rate', { exact: true }).inputValue()).toBe('0.05');
    expect(await again.getByLabel('Profile').inputValue()).toBe('step');
    expect(await again.locator('.notices').count()).toBe(0);
    expect(again.url()).toBe(url);
    // the stage-2 settings (shown for GCL, the two-stage loss) round-trip too
    await again.getByLabel('Loss function').selectOption('gcl');
    await expect.poll(() => again.url(), POLL).toContain('loss=gcl');
    await waitPhase(again, ['ready']);
    await again.getByLabel('Stage-2 epochs').fill('7');
    await again.getByLabel('Stage-2 epochs').press('Enter');
    await expect.poll(() => again.url(), POLL).toContain('s2.epochs=7');
    const url2 = again.url();
    await again.goto(url2);
    await waitPhase(again, ['ready']);
    expect(await again.getByLabel('Stage-2 epochs').inputValue()).toBe('7');
    expect(again.url()).toBe(url2);
    expect(errors).toEqual([]);
    await again.close();
  }, 120_000);

  it('a malformed URL shows a notice listing the bad values (as text) and falls back to defaults', async () => {
    const evil = encodeURIComponent('<img src=x onerror="window.__pwned=1">');
    const { page, errors } = await open(`backend=wasm&if=abc&lr=-1&model=${evil}&batch=1e9&loss=gcl&lp.s=999`);
    const notice = page.getByTestId('notice-url');
    expect(await notice.isVisible()).toBe(true);
    const text = (await notice.textContent())!;
    for (const p of ['if=abc', 'lr=-1', 'model=', 'batch=1e9', 'lp.s=999']) expect(text).toContain(p);
    expect(text).toContain('<img src=x');
    expect(await page.locator('.notices img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.getByLabel('Imbalance factor', { exact: true }).inputValue()).toBe('100');
    expect(await page.getByLabel('Model', { exact: true }).inputValue()).toBe('convnet');
    expect(page.url()).toContain('if=100');
    await page.getByRole('button', { name: /Dismiss/ }).click();
    expect(await notice.count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
