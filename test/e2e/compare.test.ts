/**
 * Browser test of "Compare runs" (production build in Debian's Chromium, like playground.test.ts): on WebGPU
 * (SwiftShader) a tiny CE run is trained and pinned, the loss is switched to KPS (same data and seed) and trained;
 * every chart then draws both runs in their two colours with both labels in the legends, the runs table has two rows
 * with numbers, sorts, and its CSV download has the same two rows. On wasm the one-click preset
 * "CE vs KPS vs FBL vs GCL" queues and trains its four runs (GCL with stage 2) and pins each.
 *
 * Tiny runs: 20 head-class images at IF 10 (78 training images, 3 batches of 32), 1 test image per class, 1 epoch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ARTIFACTS, POLL, e2eEnabled, openApp, useApp, waitPhase } from './harness';

const RUN = e2eEnabled();

const TINY = 'nmax=20&if=10&batch=32&eval=1&log=1&model=convnet&epochs=1&s2.epochs=1&s2.batch=32&schedule=constant&warmup=0';

interface TableRow {
  id: string;
  color: string;
  label: string;
  cells: Record<string, string>;
  status: string;
}

/** The runs table as displayed (row order, colour, label, every data-col cell). */
async function table(page: Page): Promise<TableRow[]> {
  return page.$$eval('[data-testid=run-row]', (trs) =>
    trs.map((tr) => ({
      id: tr.getAttribute('data-run-id') ?? '',
      color: tr.getAttribute('data-color') ?? '',
      label: tr.querySelector('.runs-name')?.textContent ?? '',
      cells: Object.fromEntries([...tr.querySelectorAll('[data-col]')].map((td) => [td.getAttribute('data-col')!, td.textContent ?? ''])),
      status: tr.querySelector('[data-col=status]')?.textContent ?? '',
    })),
  );
}

/** Colours used by the chart's drawn series (stroke / fill of its paths) and the texts of its legend. */
async function chartRuns(page: Page, id: string): Promise<{ colors: string[]; legend: string[]; points: number }> {
  return page.$eval(`[data-testid="chart-${id}"]`, (el) => ({
    colors: [
      ...new Set(
        [...el.querySelectorAll('.ltc-plot path')]
          .flatMap((p) => [p.getAttribute('stroke'), p.getAttribute('fill')])
          .filter((c): c is string => !!c && c.startsWith('#')),
      ),
    ],
    legend: [...el.querySelectorAll('.ltc-legend li')].map((li) => li.textContent ?? ''),
    points: Number(el.getAttribute('data-points')),
  }));
}

const pctOf = (s: string) => Number(s.replace('%', '')) / 100;

describe.runIf(RUN)('compare runs in Chromium (production build)', () => {
  const app = useApp({ tmpPrefix: 'ltpg-compare-' });

  it('WebGPU: train CE, pin it, switch to KPS and train: both runs on every chart, in the table, sorted, as CSV', async () => {
    const t0 = Date.now();
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, `backend=webgpu&${TINY}&loss=ce&head=linear`);
    const badge = page.locator('[data-backend]');
    expect(await badge.getAttribute('data-backend')).toBe('webgpu');
    expect(await badge.getAttribute('aria-label')).toMatch(/^Backend: webgpu/);
    const pin = page.getByRole('button', { name: 'Pin run', exact: true });
    expect(await pin.getAttribute('aria-pressed')).toBe('false');

    // run 1: CE
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone'], 240_000);
    const t1 = Date.now();
    await expect.poll(async () => (await table(page)).length, POLL).toBe(1);
    await pin.click();
    await expect.poll(() => pin.getAttribute('aria-pressed'), POLL).toBe('true');
    expect(await page.getByTestId('pinned-count').textContent()).toMatch(/^1 of \d+ pinned$/);

    // run 2: KPS on the same data and seed (a loss change asks first: the pinned CE run stays)
    await page.getByLabel('Loss function').selectOption('kps');
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    await dialog.getByRole('button', { name: 'Reset and apply' }).click();
    await waitPhase(page, ['ready']);
    expect(await pin.getAttribute('aria-pressed')).toBe('false');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone'], 240_000);
    const t2 = Date.now();

    // the table: two rows with numbers, two colours
    await expect.poll(async () => (await table(page)).map((r) => r.cells.lastOverall).join(), POLL).toMatch(/^\d+\.\d%,\d+\.\d%$/);
    const rows = await table(page);
    expect(rows.map((r) => r.label)).toEqual(['CE · ConvNet', 'KPS s=15 GA · ConvNet']);
    expect(rows[0].status).toMatch(/finished · pinned/);
    expect(rows[1].status).toMatch(/finished · current/);
    for (const r of rows) {
      expect(r.cells.epochs).toBe('1');
      expect(r.cells.bestEpoch).toBe('e1');
      for (const k of ['lastOverall', 'lastMedium', 'lastFew', 'bestOverall', 'bestMedium', 'bestFew'])
        expect(r.cells[k], k).toMatch(/^\d+\.\d%$/);
      expect(r.cells.lastMany).toBe('—'); // 20 head-class images: no class has more than 100
    }
    const [c1, c2] = rows.map((r) => r.color);
    expect(c1).not.toBe(c2);

    // every chart draws both runs in their colours, and its legend names them (GCL: neither run is GCL)
    for (const id of ['loss', 'per-class', 'groups', 'feature-norm']) {
      await expect
        .poll(async () => (await chartRuns(page, id)).colors.filter((c) => c === c1 || c === c2).length, { ...POLL, message: id })
        .toBe(2);
      const { legend } = await chartRuns(page, id);
      for (const l of ['CE · ConvNet', 'KPS s=15 GA · ConvNet'])
        expect(
          legend.some((x) => x.includes(l)),
          `${id} legend ${l}`,
        ).toBe(true);
    }
    const kps = await chartRuns(page, 'kps');
    expect(kps.colors).toContain(c2);
    expect(kps.colors).not.toContain(c1);
    expect(await page.getByTestId('chart-gcl-cloud').getAttribute('data-points')).toBe('0');
    const options = await page.getByTestId('chart-confusion').locator('select option').allTextContents();
    expect(options).toEqual(['CE · ConvNet', 'KPS s=15 GA · ConvNet']);
    // nothing in the charts makes the page scroll sideways (the confusion matrix's hidden table once did: 1,068 px)
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);

    // sorting: by run name both ways (aria-sort follows), by last overall accuracy (numbers in order)
    const runHeader = page.locator('th[data-col=label]');
    await runHeader.getByRole('button').click();
    expect(await runHeader.getAttribute('aria-sort')).toBe('ascending');
    expect((await table(page)).map((r) => r.label)).toEqual(['CE · ConvNet', 'KPS s=15 GA · ConvNet']);
    await runHeader.getByRole('button').click();
    expect(await runHeader.getAttribute('aria-sort')).toBe('descending');
    expect((await table(page)).map((r) => r.label)).toEqual(['KPS s=15 GA · ConvNet', 'CE · ConvNet']);
    const accHeader = page.locator('th[data-col=lastOverall]');
    await accHeader.getByRole('button').click();
    expect(await accHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await runHeader.getAttribute('aria-sort')).toBe('none');
    const sorted = await table(page);
    expect(pctOf(sorted[0].cells.lastOverall)).toBeGreaterThanOrEqual(pctOf(sorted[1].cells.lastOverall));

    // CSV: the same two rows, in the displayed order, with the same numbers
    const [dl] = await Promise.all([
      page.waitForEvent('download', { timeout: 30_000 }),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(dl.suggestedFilename()).toBe('ltpg-compare-runs.csv');
    const path = join(app.tmp, 'compare.csv');
    await dl.saveAs(path);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    const header = lines[0].split(',');
    expect(header.slice(0, 2)).toEqual(['run', 'loss']);
    const col = (line: string, name: string) => {
      // the data column is quoted (it holds commas): drop quoted fields before splitting
      const fields = line.replace(/"(?:[^"]|"")*"/g, 'Q').split(',');
      return fields[header.indexOf(name)];
    };
    lines.slice(1).forEach((line, i) => {
      expect(col(line, 'run')).toBe(sorted[i].label);
      expect(Number(col(line, 'last_overall_accuracy')) * 100).toBeCloseTo(pctOf(sorted[i].cells.lastOverall) * 100, 0);
      expect(col(line, 'same_data')).toBe('true');
    });

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'compare-runs.png'), fullPage: true });
    expect(errors).toEqual([]);
    console.log(
      `[e2e] compare (WebGPU, SwiftShader): CE run ${((t1 - t0) / 1000).toFixed(1)} s (incl. page load), KPS run ${((t2 - t1) / 1000).toFixed(1)} s, test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    await context.close();
  }, 420_000);

  it('wasm: the preset CE vs KPS vs FBL vs GCL queues four runs on the same data, GCL with stage 2, and pins each', async () => {
    const t0 = Date.now();
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const { errors } = await openApp(page, app.url, `backend=wasm&${TINY}&loss=gcl`);
    expect(await page.locator('[data-backend]').getAttribute('data-backend')).toBe('wasm');
    // record every progress text the page shows
    await page.evaluate(() => {
      const w = window as unknown as { __progress: string[] };
      w.__progress = [];
      new MutationObserver(() => {
        const t = document.querySelector('[data-testid=preset-progress]')?.textContent ?? '';
        if (t && w.__progress[w.__progress.length - 1] !== t) w.__progress.push(t);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Preset: CE vs KPS vs FBL vs GCL' }).click();
    await expect.poll(() => page.getByTestId('preset-progress').count(), POLL).toBe(1);
    expect(await page.getByRole('button', { name: 'Cancel preset' }).isVisible()).toBe(true);
    await expect
      .poll(async () => (await table(page)).filter((r) => /pinned/.test(r.status)).length, { timeout: 240_000, interval: 250 })
      .toBe(4);
    await expect.poll(() => page.getByTestId('preset-progress').count(), POLL).toBe(0);
    const progress = await page.evaluate(() => (window as unknown as { __progress: string[] }).__progress);
    expect(progress).toEqual([
      'Preset: run 1 of 4 — CE',
      'Preset: run 2 of 4 — KPS (+GA)',
      'Preset: run 3 of 4 — FBL',
      'Preset: run 4 of 4 — GCL (stage 1 + 2)',
    ]);
    const rows = await table(page);
    expect(rows.map((r) => r.label)).toEqual(['CE · ConvNet', 'KPS s=15 GA · ConvNet', 'FBL · ConvNet', 'GCL stage 2 · ConvNet']);
    expect(rows.map((r) => r.cells.epochs)).toEqual(['1', '1', '1', '1 + 1 s2']);
    expect(rows.every((r) => /^\d+\.\d%$/.test(r.cells.lastOverall))).toBe(true);
    expect(new Set(rows.map((r) => r.color)).size).toBe(4);
    await expect
      .poll(async () => (await chartRuns(page, 'loss')).colors.filter((c) => rows.some((r) => r.color === c)).length, POLL)
      .toBe(4);
    expect(await page.getByTestId('pinned-count').textContent()).toMatch(/^4 of \d+ pinned$/);
    // GCL's stage-2 loss in the loss chart's own pane, on its own axis
    const stage2 = page.getByTestId('chart-loss').getByTestId('loss-stage2');
    await expect.poll(() => stage2.locator('path[data-series$="s2loss"]').count(), POLL).toBe(1);
    expect(await stage2.locator('.ltc-axis-titles').textContent()).toContain('stage 2 loss (nats)');
    expect(await page.getByLabel('Loss function').inputValue()).toBe('gcl');
    expect(page.url()).toContain('seed=1');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'compare-preset.png'), fullPage: true });
    await page.getByTestId('compare-runs').screenshot({ path: join(ARTIFACTS, 'compare-table.png') });
    expect(errors).toEqual([]);
    console.log(`[e2e] compare preset (wasm): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await context.close();
  }, 300_000);
});
