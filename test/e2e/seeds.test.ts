/**
 * Browser test of seed groups (production build in Chromium, wasm): a tiny URL config with `seeds=3`, "Train 3
 * seeds" trains the form once per seed (progress "seed k of 3") and pins each; the runs table then shows the group
 * as one row of mean ± std, the loss / accuracy and many / medium / few charts draw the group's ± std band, and the
 * per-seed toggle adds each seed's line.
 */
import { describe, expect, it } from 'vitest';
import { POLL, e2eEnabled, openApp, useApp } from './harness';

const RUN = e2eEnabled();

const TINY = 'backend=wasm&nmax=20&if=10&batch=32&eval=1&log=1&model=convnet&epochs=2&schedule=constant&warmup=0&loss=ce&head=linear';

describe.runIf(RUN)('seed groups in Chromium (production build)', () => {
  const app = useApp({ tmpPrefix: 'ltpg-seeds-' });

  it('3 seeds: one group row of mean ± std, a band on the time charts, per-seed lines on demand', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, `${TINY}&seeds=3`);
    expect(await page.getByTestId('seeds-input').inputValue()).toBe('3');
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
    for (const id of ['loss', 'groups'])
      await expect.poll(() => page.locator(`[data-testid="chart-${id}"] path[data-band]`).count(), POLL).toBeGreaterThan(0);
    const lines = () => page.locator('[data-testid="chart-groups"] path[data-series]').count();
    const before = await lines();
    await page.getByTestId('per-seed').check();
    await expect.poll(lines, POLL).toBeGreaterThan(before);
    expect(errors).toEqual([]);
    await context.close();
  }, 600_000);
});
