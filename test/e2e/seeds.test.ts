/**
 * Browser test of seed groups (production build in Chromium, wasm): typing 3 in the Seeds field writes `seeds=3`
 * to the URL and a reload keeps it; "Train 3 seeds" trains the form once per seed (progress "seed k of 3") and pins
 * each; the runs table then shows the group as one row of mean ± std, the loss / accuracy, many / medium / few and
 * feature-norm charts draw the group's ± std band, the per-class chart ± std error bars (mean ± std in its data
 * table), and the per-seed toggle adds each seed's line and dots.
 */
import { describe, expect, it } from 'vitest';
import { AxeBuilder } from '@axe-core/playwright';
import { POLL, e2eEnabled, openApp, useApp } from './harness';

const RUN = e2eEnabled();

const TINY = 'backend=wasm&nmax=20&if=10&batch=32&eval=1&log=1&model=convnet&epochs=2&schedule=constant&warmup=0&loss=ce&head=linear';

describe.runIf(RUN)('seed groups in Chromium (production build)', () => {
  const app = useApp({ tmpPrefix: 'ltpg-seeds-' });

  it('seeds=3 in the URL; 3 seeds: one group row of mean ± std, bands and error bars on the charts, per-seed lines on demand', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, TINY);
    const input = page.getByTestId('seeds-input');
    expect(await input.inputValue()).toBe('1');
    expect(new URL(page.url()).searchParams.has('seeds')).toBe(false);
    await input.fill('3');
    await expect.poll(() => new URL(page.url()).searchParams.get('seeds'), POLL).toBe('3');
    await page.reload();
    await expect.poll(() => page.getByTestId('seeds-input').inputValue(), POLL).toBe('3');
    expect(new URL(page.url()).searchParams.get('seeds')).toBe('3');
    const train = page.getByTestId('seeds-train');
    await expect.poll(() => train.isEnabled(), POLL).toBe(true);
    expect(await train.textContent()).toBe('Train 3 seeds');
    await train.click();
    await expect.poll(() => page.getByTestId('seeds-progress').textContent(), POLL).toMatch(/^seed [1-3] of 3/);
    // done: one group row with the three seeds, mean ± std cells
    const group = page.getByTestId('group-row');
    await expect.poll(() => group.count(), { timeout: 300_000, interval: 500 }).toBe(1);
    await expect.poll(() => page.getByTestId('seeds-progress').count(), { timeout: 300_000, interval: 500 }).toBe(0);
    expect(await group.getAttribute('data-seeds')).toBe('1,2,3');
    expect(await group.locator('.runs-name').textContent()).toMatch(/ · 3 seeds$/);
    expect(await group.locator('[data-col=lastOverall]').textContent()).toMatch(/^\d+\.\d ± \d+\.\d%$/);
    expect(await group.locator('[data-col=bestFew]').textContent()).toMatch(/^\d+\.\d ± \d+\.\d%$/);
    expect(await page.getByTestId('pinned-count').textContent()).toMatch(/^1 of \d+ pinned$/);
    // the band (mean ± std of test accuracy) on the loss / accuracy chart and on many / medium / few
    for (const id of ['loss', 'groups', 'feature-norm'])
      await expect.poll(() => page.locator(`[data-testid="chart-${id}"] path[data-band]`).count(), POLL).toBeGreaterThan(0);
    // the feature-norm band of a seed group is its spread over the seeds (said in the legend)
    expect(await page.locator('[data-testid="chart-feature-norm"]').textContent()).toContain('± 1 std over its seeds');
    // per class: an error bar on the group's bars, mean ± std in "Show data"
    const perClass = page.locator('[data-testid="chart-per-class"]');
    const errorBars = perClass.locator('path[data-error-bars]');
    await expect.poll(() => errorBars.count(), POLL).toBe(1);
    expect(await errorBars.getAttribute('d')).toMatch(/^M[\d.]+ [\d.]+V/);
    await perClass.getByRole('button', { name: 'Show data' }).click();
    await expect.poll(() => perClass.locator('table tbody tr td').first().textContent(), POLL).toBeTruthy();
    const cells = await perClass.locator('table tbody td').allTextContents();
    expect(cells.some((c) => /^\d+\.\d ± \d+\.\d %$/.test(c))).toBe(true);
    const lines = () => page.locator('[data-testid="chart-groups"] path[data-series]').count();
    const normLines = () => page.locator('[data-testid="chart-feature-norm"] path[data-series]').count();
    const before = await lines();
    const normBefore = await normLines();
    expect(await perClass.locator('path[data-seed-dots]').count()).toBe(0);
    await page.getByTestId('per-seed').check();
    await expect.poll(lines, POLL).toBeGreaterThan(before);
    await expect.poll(normLines, POLL).toBeGreaterThan(normBefore);
    await expect.poll(() => perClass.locator('path[data-seed-dots]').count(), POLL).toBe(1);
    // the group's marks and the open table: no serious axe violation, no sideways scroll
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  }, 600_000);
});
