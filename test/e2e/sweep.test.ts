/**
 * Browser test of the recipe switch and the sweep (production build in Debian's Chromium, wasm): the "Authors'
 * recipe" toggle sets the recipe's settings for GCL (shown and editable under it; the URL says recipe=authors),
 * then a 2-value sweep of the GCL cloud size trains one tiny run per value, pins both, and draws the metric-vs-value
 * chart and table. Tiny runs: 20 head-class images at IF 10, 1 test image per class, 1 epoch. First, without
 * training, the parameter list offers only what acts on the run (no cosine scale for CE on a linear head).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, POLL, e2eEnabled, openApp, useApp } from './harness';

const RUN = e2eEnabled();
const TINY = 'nmax=20&if=10&batch=32&eval=1&log=1&model=convnet&epochs=1&schedule=constant&warmup=0';

describe.runIf(RUN)('recipe switch and sweep in Chromium (production build)', () => {
  const app = useApp({ tmpPrefix: 'ltpg-sweep-' });

  it('a new user on CE with the linear head is offered only lr / batch / IF; the cosine scale appears with the cosine head', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, `backend=wasm&${TINY}&loss=ce&head=linear`);
    await page.getByTestId('sweep').locator('summary').click();
    const options = () => page.$$eval('[data-testid=sweep-param] option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(await options()).toEqual(['lr', 'batchSize', 'imbalance']);
    // what is left out is named, with why
    expect(await page.getByTestId('sweep-skipped').textContent()).toMatch(
      /Not offered for Cross-entropy on the linear head: Cosine scale s \(scale\) — the linear head ignores it/,
    );
    // on the cosine head the scale acts, so it is offered
    await page.getByLabel('Head', { exact: true }).selectOption('cosine');
    const dialog = page.getByRole('dialog');
    await expect.poll(async () => (await dialog.isVisible()) || (await options()).includes('scale'), POLL).toBe(true);
    if (await dialog.isVisible()) await dialog.locator('button.primary').click();
    await expect.poll(options, POLL).toEqual(['scale', 'lr', 'batchSize', 'imbalance']);
    expect(await page.getByTestId('sweep-skipped').count()).toBe(0);
    // GCL: its stage-1 settings, and the note that the sweep trains stage 1 only
    await page.getByLabel('Loss function').selectOption('gcl');
    await expect.poll(async () => (await dialog.isVisible()) || (await options()).includes('noiseMul'), POLL).toBe(true);
    if (await dialog.isVisible()) await dialog.locator('button.primary').click();
    await expect.poll(options, POLL).toEqual(['s', 'm', 'noiseMul', 'focalGamma', 'lr', 'batchSize', 'imbalance']);
    expect(await page.getByTestId('sweep-skipped').textContent()).toMatch(/trains stage 1 only/);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it("wasm: Authors' recipe toggle, then a sweep of noiseMul over 2 values pins 2 runs and plots them", async () => {
    const t0 = Date.now();
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, `backend=wasm&${TINY}&loss=gcl`);
    expect(await page.locator('[data-backend]').getAttribute('data-backend')).toBe('wasm');

    // the switch: on → the recipe's values in the list under it and in the URL; off again → ours
    const toggle = page.getByLabel('Authors’ recipe');
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await expect.poll(() => page.getByLabel('Mixup α', { exact: true }).inputValue(), POLL).toBe('1');
    expect(await page.getByLabel('Stage 2 starts from').inputValue()).toBe('best');
    expect(await page.getByLabel('Recipe: batch size').inputValue()).toBe('64');
    await expect.poll(() => page.url(), POLL).toContain('recipe=authors');
    expect(await page.getByTestId('recipe-status').textContent()).toMatch(/authors’ value/);
    // editable: a changed value turns the switch off and is named
    await page.getByLabel('Recipe: batch size').fill('32');
    await page.getByLabel('Recipe: batch size').press('Enter');
    await expect.poll(() => toggle.isChecked(), POLL).toBe(false);
    expect(await page.getByTestId('recipe-status').textContent()).toMatch(/batch size/);
    await toggle.check();
    await toggle.uncheck();
    await expect.poll(() => page.getByLabel('Mixup α', { exact: true }).inputValue(), POLL).toBe('0');
    await page.getByLabel('Recipe: batch size').fill('32');
    await page.getByLabel('Recipe: batch size').press('Enter');

    // the sweep: 2 values of noiseMul
    await page.getByTestId('sweep').locator('summary').click();
    await page.getByTestId('sweep-param').selectOption('noiseMul');
    await page.getByTestId('sweep-values').fill('0.1,1');
    await expect.poll(() => page.getByTestId('sweep-start').isEnabled(), POLL).toBe(true);
    const formUrl = page.url(); // the URL mirrors the form
    const formNoise = new URL(formUrl).searchParams.get('noiseMul');
    await page.getByTestId('sweep-start').click();
    await expect
      .poll(() => page.getByTestId('sweep-status').textContent(), { timeout: 240_000, interval: 250 })
      .toMatch(/^Sweep finished: 2 runs pinned\.$/);
    // the sweep's runs carried their own values: the form (and so the URL) reads exactly as before
    expect(page.url()).toBe(formUrl);
    expect(new URL(page.url()).searchParams.get('noiseMul')).toBe(formNoise);
    expect(await page.getByTestId('sweep-row').count()).toBe(2);
    const cells = await page.$$eval('[data-testid=sweep-row]', (trs) =>
      trs.map((tr) => [tr.querySelector('th')?.textContent ?? '', tr.querySelector('[data-col=metric]')?.textContent ?? '']),
    );
    expect(cells.map((c) => c[0])).toEqual(['0.1', '1']);
    expect(cells.every((c) => /^\d+\.\d%$/.test(c[1]))).toBe(true);
    expect(
      await page.locator('[data-testid=sweep-result] .recharts-line-dot, [data-testid=sweep-result] .recharts-dot').count(),
    ).toBeGreaterThan(0);
    await page.getByTestId('sweep-metric').selectOption('tail3');
    await page.getByTestId('sweep-when').selectOption('best');
    await expect.poll(() => page.locator('[data-testid=sweep-row] td').first().textContent(), POLL).toMatch(/on test/);
    expect(await page.getByTestId('pinned-count').textContent()).toMatch(/^2 of \d+ pinned$/);
    // the runs table says which set chose "best" (no validation split here: the test set)
    const bestOn = await page.locator('[data-testid=compare-runs] [data-col=bestOn]').allTextContents();
    expect(bestOn.length).toBeGreaterThanOrEqual(2);
    expect(new Set(bestOn)).toEqual(new Set(['on test']));
    await page.getByTestId('compare-runs').screenshot({ path: join(ARTIFACTS, 'sweep.png') });
    expect(errors).toEqual([]);
    console.log(`[e2e] recipe + sweep (wasm): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await context.close();
  }, 400_000);
});
