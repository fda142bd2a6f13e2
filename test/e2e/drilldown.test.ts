/**
 * Browser test of the confusion-matrix drill-down (production build, Debian's Chromium, software WebGPU): after
 * one tiny epoch on WebGPU, clicking an off-diagonal cell opens a dialog with that many test images drawn to
 * canvases; Enter on a diagonal cell shows the correctly classified ones; Escape / Close shut the dialog and focus
 * goes back to the cell. Part of `npm test`; under CI=true it always runs (a missing Chromium fails it).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ARTIFACTS, POLL, e2eEnabled, openApp, useApp, waitPhase } from './harness';

const RUN = e2eEnabled();

/** Tiny run on the embedded data (78 training images in 5 batches of 16), 6 test images per class, one epoch of CE. */
const TINY = 'backend=webgpu&nmax=20&if=10&batch=16&eval=6&log=1&model=convnet&loss=ce&head=linear&epochs=1';
const LIMIT = 60;

interface Cell {
  r: number;
  c: number;
  t: number;
  p: number;
  count: number;
  label: string;
}

const cells = (page: Page): Promise<Cell[]> =>
  page.$$eval('[data-testid=chart-confusion] rect.ltc-cm-cell', (els) =>
    els.map((e) => ({
      r: Number(e.getAttribute('data-r')),
      c: Number(e.getAttribute('data-c')),
      t: Number(e.getAttribute('data-true')),
      p: Number(e.getAttribute('data-pred')),
      count: Number(e.getAttribute('data-count')),
      label: e.getAttribute('aria-label') ?? '',
    })),
  );

const cellSelector = (c: Pick<Cell, 't' | 'p'>) => `[data-testid=chart-confusion] rect.ltc-cm-cell[data-true="${c.t}"][data-pred="${c.p}"]`;

/** The focused element's cell, if it is one. */
const focusedCell = (page: Page) =>
  page.evaluate(() => {
    const a = document.activeElement;
    return a?.classList.contains('ltc-cm-cell') ? { t: Number(a.getAttribute('data-true')), p: Number(a.getAttribute('data-pred')) } : null;
  });

/** Per canvas: its size and whether it holds a picture (several distinct grey levels, not all black). */
const canvasStats = (page: Page) =>
  page.$$eval('[data-testid=drilldown] canvas', (els) =>
    els.map((el) => {
      const c = el as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const levels = new Set<number>();
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) {
        levels.add(d[i]);
        if (d[i] > 0) lit++;
      }
      return {
        w: c.width,
        h: c.height,
        cssW: c.getBoundingClientRect().width,
        levels: levels.size,
        lit,
        label: c.getAttribute('aria-label') ?? '',
      };
    }),
  );

describe.runIf(RUN)('confusion-matrix drill-down in Chromium (production build, WebGPU)', () => {
  const app = useApp();

  it('confusion cell click shows images; Enter on a diagonal cell shows the correct ones; an empty cell says so; Escape / Close return focus', async () => {
    const t0 = Date.now();
    const { page, errors } = await openApp(app.browser, app.url, TINY, { ready: 90_000 });
    expect(await page.locator('[data-backend]').getAttribute('data-backend')).toBe('webgpu');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone'], 240_000);
    const tTrained = Date.now();
    await expect.poll(async () => (await cells(page)).length, POLL).toBe(100);

    const all = await cells(page);
    expect(all.reduce((a, c) => a + c.count, 0)).toBe(60); // 6 test images of each of the 10 classes
    // an off-diagonal cell with images, preferably in a row whose diagonal has some too (both dialogs show images)
    const diagOf = (t: number) => all.find((c) => c.t === t && c.p === t)!.count;
    const off = all
      .filter((c) => c.t !== c.p && c.count > 0)
      .sort((a, b) => Number(diagOf(b.t) > 0) - Number(diagOf(a.t) > 0) || b.count - a.count)[0];
    expect(off, 'an off-diagonal cell with images after one epoch').toBeDefined();
    const [trueName, predName] = /^true (.*), predicted (.*): /.exec(off.label)!.slice(1);

    // mouse: click the cell (the pointer goes through the focus overlay to the matrix)
    await page.locator(cellSelector(off)).scrollIntoViewIfNeeded();
    const box = (await page.locator(cellSelector(off)).boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const dialog = page.getByTestId('drilldown');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    expect(await dialog.getByRole('heading').textContent()).toBe(`True ${trueName} → predicted ${predName}`);
    const summary = dialog.getByTestId('drill-summary');
    await expect.poll(() => summary.getAttribute('data-total'), POLL).toBe(String(off.count));
    const shown = Math.min(off.count, LIMIT);
    expect(await summary.getAttribute('data-shown')).toBe(String(shown));
    expect(await summary.textContent()).toBe(
      `${off.count} of 6 test images of class ${trueName} ${off.count === 1 ? 'was' : 'were'} predicted as ${predName}, from the evaluation after epoch 1.`,
    );
    await expect.poll(async () => (await canvasStats(page)).filter((s) => s.lit > 0).length, POLL).toBe(shown);
    const stats = await canvasStats(page);
    expect(stats).toHaveLength(shown);
    for (const s of stats) {
      expect([s.w, s.h]).toEqual([28, 28]);
      expect(s.cssW).toBeGreaterThanOrEqual(56); // scaled up
      expect(s.levels).toBeGreaterThan(4); // a picture, not a flat colour
      expect(s.label).toMatch(
        new RegExp(`^Test image #\\d+: predicted ${predName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} with \\d+ % confidence$`),
      );
    }
    expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=drilldown]'))).toBe(true);
    await dialog.screenshot({ path: join(ARTIFACTS, 'drilldown.png') });

    // Escape closes; focus is back on the clicked cell
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(false);
    expect(await focusedCell(page)).toEqual({ t: off.t, p: off.p });

    // keyboard: arrow keys to a diagonal cell (of the clicked row or column, whichever has more images), then Enter
    const k = diagOf(off.t) >= diagOf(off.p) ? off.t : off.p;
    const kc = all.find((c) => c.t === k && c.p === k)!;
    const keys =
      k === off.t
        ? Array(Math.abs(off.c - off.r)).fill(off.c > off.r ? 'ArrowLeft' : 'ArrowRight')
        : Array(Math.abs(off.c - off.r)).fill(off.r > off.c ? 'ArrowUp' : 'ArrowDown');
    for (const key of keys) await page.keyboard.press(key);
    expect(await focusedCell(page)).toEqual({ t: k, p: k });
    const kName = /^true (.*), predicted /.exec(kc.label)![1];
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    expect(await dialog.getByRole('heading').textContent()).toBe(`True ${kName}, predicted correctly`);
    await expect.poll(() => summary.getAttribute('data-total'), POLL).toBe(String(kc.count));
    expect(await summary.textContent()).toBe(
      kc.count === 0
        ? `None of the 6 test images of class ${kName} were classified correctly in the evaluation after epoch 1.`
        : `${kc.count} of 6 test images of class ${kName} ${kc.count === 1 ? 'was' : 'were'} classified correctly, from the evaluation after epoch 1.`,
    );
    await expect.poll(async () => (await canvasStats(page)).filter((s) => s.lit > 0).length, POLL).toBe(kc.count);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => dialog.isVisible(), POLL).toBe(false);
    expect(await focusedCell(page)).toEqual({ t: k, p: k });
    await page.getByTestId('chart-confusion').screenshot({ path: join(ARTIFACTS, 'drilldown-matrix.png') }); // focus back on the cell

    // an empty cell: a sentence, no images
    const empty = all.find((c) => c.count === 0)!;
    const [eTrue, ePred] = /^true (.*), predicted (.*): /.exec(empty.label)!.slice(1);
    await page.locator(cellSelector(empty)).scrollIntoViewIfNeeded();
    const ebox = (await page.locator(cellSelector(empty)).boundingBox())!;
    await page.mouse.click(ebox.x + ebox.width / 2, ebox.y + ebox.height / 2);
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    await expect.poll(() => summary.getAttribute('data-total'), POLL).toBe('0');
    expect(await summary.textContent()).toBe(
      empty.t === empty.p
        ? `None of the 6 test images of class ${eTrue} were classified correctly in the evaluation after epoch 1.`
        : `None of the 6 test images of class ${eTrue} were predicted as ${ePred} in the evaluation after epoch 1.`,
    );
    expect(await dialog.locator('canvas').count()).toBe(0);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(false);
    expect(await focusedCell(page)).toEqual({ t: empty.t, p: empty.p });

    // Space on a cell opens it too (and is not the page's train / pause shortcut)
    await page.keyboard.press('Space');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(false);
    expect(await page.getByTestId('phase').getAttribute('data-phase')).toBe('stageDone');

    console.log(
      `[e2e] drill-down: tiny epoch on WebGPU (SwiftShader) in ${((tTrained - t0) / 1000).toFixed(1)} s, ` +
        `off-diagonal cell ${off.count} images, diagonal ${kc.count}; whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 420_000);
});
