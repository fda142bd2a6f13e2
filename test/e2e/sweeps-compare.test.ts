/**
 * Browser test of two-parameter sweeps and saved comparisons (production build in Chromium, wasm): a 2 × 2 sweep
 * of lr × batch size trains 4 tiny runs, pins them, leaves the form (and so the URL) as it was and draws the heat
 * map (4 shaded cells) and the runs' scatter against a chosen setting; axe finds nothing serious and the page does not scroll sideways at 1,440 and 390 px. Save
 * comparison downloads one JSON; a fresh page refuses a bad file with the reason and nothing changes, then opens
 * the saved file into the same table rows; a `results=` address on the page's own site opens it at load too, and
 * a missing one says so. A one-parameter sweep over 3 seeds shows each value's mean ± std with error bars.
 */
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { ARTIFACTS, POLL, e2eEnabled, openApp, useApp } from './harness';
import { productionBuild } from './dist';
import { serveStatic } from './server';

const RUN = e2eEnabled();
const TINY = 'backend=wasm&nmax=20&if=10&batch=32&eval=1&log=1&model=convnet&epochs=1&schedule=constant&warmup=0&loss=ce&head=linear';

/** The pinned rows of the runs table: id → the row's label and every numeric cell. */
const pinnedRows = (page: Page) =>
  page.$$eval('[data-testid=compare-runs] tbody tr[data-run-id]', (trs) =>
    Object.fromEntries(
      trs
        .filter((tr) => tr.querySelector('.runs-status button')?.textContent === 'Remove')
        .map((tr) => [
          tr.getAttribute('data-run-id'),
          {
            label: tr.querySelector('.runs-name')?.textContent ?? '',
            cells: [...tr.querySelectorAll('[data-col]')].map((c) => `${c.getAttribute('data-col')}=${c.textContent}`),
          },
        ]),
    ),
  );

async function serious(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id}: ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(' | ')}`,
    );
}

const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);

describe.runIf(RUN)('two-parameter sweep and saved comparison in Chromium (production build)', () => {
  const app = useApp({ tmpPrefix: 'ltpg-sweeps-compare-' });

  it('a 2 × 2 sweep leaves the form alone and draws the heat map; save → open comparison gives the same rows', async () => {
    const t0 = Date.now();
    const context = await app.browser.newContext({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, TINY);
    await page.getByTestId('sweep').locator('summary').click();
    await page.getByTestId('sweep-param').selectOption('lr');
    await page.getByTestId('sweep-values').fill('0.02,0.05');
    await page.getByTestId('sweep-param2').selectOption('batchSize');
    // the second list is asked for
    await expect.poll(() => page.getByTestId('sweep-status').textContent(), POLL).toMatch(/batchSize: give the values/);
    expect(await page.getByTestId('sweep-start').isEnabled()).toBe(false);
    await page.getByTestId('sweep-values2').fill('16,32');
    await expect.poll(() => page.getByTestId('sweep-start').isEnabled(), POLL).toBe(true);
    const formUrl = page.url();
    const formLr = await page.getByLabel('Learning rate', { exact: true }).inputValue();
    await page.getByTestId('sweep-start').click();
    await expect
      .poll(() => page.getByTestId('sweep-status').textContent(), { timeout: 300_000, interval: 250 })
      .toMatch(/^Sweep finished: 4 runs pinned\.$/);
    // the form never changed
    expect(page.url()).toBe(formUrl);
    expect(await page.getByLabel('Learning rate', { exact: true }).inputValue()).toBe(formLr);
    expect(await page.getByTestId('pinned-count').textContent()).toMatch(/^4 of \d+ pinned$/);
    // the heat map: batchSize down, lr across, every cell measured and shaded
    const heat = page.getByTestId('sweep-heatmap');
    expect(await heat.getAttribute('tabindex')).toBe('0');
    expect(await heat.getAttribute('aria-label')).toMatch(/over lr and batchSize/);
    expect(await heat.locator('thead th').allTextContents()).toEqual(['batchSize \\ lr', '0.02', '0.05']);
    expect(await heat.locator('tbody th').allTextContents()).toEqual(['16', '32']);
    const cells = heat.getByTestId('sweep-cell');
    expect(await cells.count()).toBe(4);
    for (const text of await cells.allTextContents()) expect(text).toMatch(/^\d+\.\d%$/);
    const shades = await cells.evaluateAll((tds) => tds.map((td) => td.getAttribute('data-shade')));
    expect(shades.every((s) => s !== null && Number(s) >= 0 && Number(s) <= 1)).toBe(true);
    // the runs as a history: a scatter of a metric against a setting that varies, the points as a table
    await page.getByTestId('run-history').locator('summary').click();
    const offered = await page.$$eval('[data-testid=history-param] option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(new Set(offered)).toEqual(new Set(['lr', 'batchSize']));
    await page.getByTestId('history-param').selectOption('lr');
    expect(await page.locator('[data-testid=history-points] tbody tr').count()).toBe(4);
    await expect.poll(() => page.locator('[data-testid=run-history] .recharts-scatter-symbol').count(), POLL).toBe(4);
    await page.getByTestId('history-metric').selectOption('medium');
    expect(await page.locator('[data-testid=history-points] tbody td:nth-child(3)').allTextContents()).toHaveLength(4);
    expect(await serious(page)).toEqual([]);
    expect(await sideways(page)).toBe(false);
    await page.getByTestId('compare-runs').screenshot({ path: join(ARTIFACTS, 'sweep-heatmap.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => sideways(page), POLL).toBe(false);
    await page.setViewportSize({ width: 1440, height: 1000 });

    // Save comparison: one JSON, the 4 runs with their settings and metrics, no weights
    const rows = await pinnedRows(page);
    expect(Object.keys(rows)).toHaveLength(4);
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByTestId('comparison-save').click()]);
    expect(dl.suggestedFilename()).toBe('ltpg-comparison.json');
    const saved = join(app.tmp, 'comparison.json');
    await dl.saveAs(saved);
    const file = JSON.parse(readFileSync(saved, 'utf8'));
    expect(file.kind).toBe('long-tail-playground comparison');
    expect(file.version).toBe(1);
    expect(
      file.runs.map((r: { settings: { config: { lr: number; batchSize: number } } }) => [
        r.settings.config.lr,
        r.settings.config.batchSize,
      ]),
    ).toEqual([
      [0.02, 16],
      [0.02, 32],
      [0.05, 16],
      [0.05, 32],
    ]);
    expect(readFileSync(saved, 'utf8')).not.toMatch(/"weights"/);
    expect(errors).toEqual([]);
    await context.close();

    // another page: a bad file is refused and changes nothing; the saved one gives the same rows
    const other = await app.browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const p2 = await other.newPage();
    const o2 = await openApp(p2, app.url, TINY);
    const input = p2.getByTestId('comparison-open');
    await input.setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"kind":"something else"}') });
    await expect
      .poll(() => p2.getByTestId('comparison-message').textContent(), POLL)
      .toMatch(/^Could not open “bad\.json”: it is not a saved comparison .*Nothing was changed\.$/);
    expect(await p2.getByTestId('comparison-message').getAttribute('role')).toBe('alert');
    expect(await p2.getByTestId('pinned-count').textContent()).toMatch(/^0 of /);
    await input.setInputFiles(saved);
    await expect.poll(() => p2.getByTestId('comparison-message').textContent(), POLL).toBe('Opened “comparison.json”: 4 runs pinned.');
    expect(await p2.getByTestId('pinned-count').textContent()).toMatch(/^4 of \d+ pinned$/);
    await expect.poll(() => pinnedRows(p2), POLL).toEqual(rows);
    expect(o2.errors).toEqual([]);
    await other.close();

    // results=: the same file hosted next to the app (same origin) opens at load; a missing one says so
    const site = mkdtempSync(join(app.tmp, 'site-'));
    const dist = await productionBuild();
    for (const f of readdirSync(dist)) symlinkSync(join(dist, f), join(site, f));
    writeFileSync(join(site, 'shared.json'), readFileSync(saved));
    const host = await serveStatic(site);
    try {
      const third = await app.browser.newContext({ viewport: { width: 1440, height: 1000 } });
      const p3 = await third.newPage();
      const o3 = await openApp(p3, host.url, `${TINY}&results=/shared.json`);
      await expect.poll(() => p3.getByTestId('comparison-message').textContent(), POLL).toBe('Opened the results link: 4 runs pinned.');
      await expect.poll(() => pinnedRows(p3), POLL).toEqual(rows);
      expect(o3.errors).toEqual([]);
      const p4 = await third.newPage();
      await openApp(p4, host.url, `${TINY}&results=/missing.json`);
      await expect
        .poll(() => p4.getByTestId('comparison-message').textContent(), POLL)
        .toBe('Could not open the results link: /missing.json answered HTTP 404. Nothing was changed.');
      await third.close();
    } finally {
      await host.close();
    }
    console.log(`[e2e] 2×2 sweep + saved comparison (wasm): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 600_000);

  it("a 2-value sweep over the Seeds field's 3 seeds: one pin per value, mean ± std per value, error bars and each seed's dot", async () => {
    const context = await app.browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, `${TINY}&seeds=3`);
    await page.getByTestId('sweep').locator('summary').click();
    await page.getByTestId('sweep-param').selectOption('lr');
    await page.getByTestId('sweep-values').fill('0.02,0.05');
    expect(await page.getByTestId('sweep-seeds').textContent()).toMatch(/^Each point trains 3 seeds \(1, 2, 3, the Seeds field\)/);
    await expect.poll(() => page.getByTestId('sweep-start').isEnabled(), POLL).toBe(true);
    const formUrl = page.url();
    await page.getByTestId('sweep-start').click();
    await expect
      .poll(() => page.getByTestId('sweep-status').textContent(), { timeout: 300_000, interval: 250 })
      .toMatch(/^Sweep finished: 6 runs pinned\.$/);
    expect(page.url()).toBe(formUrl);
    // pins count points: each value's three seeds are one group
    expect(await page.getByTestId('pinned-count').textContent()).toMatch(/^2 of \d+ pinned$/);
    expect(await page.getByTestId('group-row').count()).toBe(2);
    const metric = await page.locator('[data-testid=sweep-row] [data-col=metric]').allTextContents();
    expect(metric).toHaveLength(2);
    for (const m of metric) expect(m).toMatch(/^\d+\.\d ± \d+\.\d%$/);
    await expect.poll(() => page.locator('[data-testid=sweep-result] .recharts-errorBar').count(), POLL).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-testid=sweep-result] .recharts-scatter-symbol').count(), POLL).toBe(6);
    expect(await page.getByTestId('sweep-result').locator('figcaption').textContent()).toMatch(/mean ± std over the seeds/);
    expect(await serious(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 400_000);
});
