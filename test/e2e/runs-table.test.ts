/**
 * The runs table fits its box (production build, Chromium): three tiny pinned runs on wasm that differ in the
 * learning rate, measured at 1,440 px and at 390 px — no sideways overflow of the table, every Unpin / Remove and
 * status inside the box, no header cut; at 390 px the secondary columns fold into the row's detail line. "Show only
 * settings that differ" leaves the learning rate alone in each row's settings.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { join } from 'node:path';
import { ARTIFACTS, POLL, e2eEnabled, openApp, useApp, waitPhase } from './harness';

const RUN = e2eEnabled('runs table');
const TINY = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&head=linear&epochs=1&lr=0.1';

interface Fit {
  box: number;
  scroll: number;
  page: number;
  inner: number;
  /** Buttons and status texts whose right edge lies beyond the box. */
  outside: string[];
  /** Header cells whose text is wider than the cell. */
  cut: string[];
  fold: number;
}

const fit = (page: Page): Promise<Fit> =>
  page.evaluate(() => {
    const table = document.querySelector('[data-testid=runs-table]') as HTMLTableElement;
    const box = table.parentElement!;
    const right = box.getBoundingClientRect().right + 0.5;
    const outside = [...table.querySelectorAll('.runs-action, [data-col=status]')]
      .filter((el) => el.getBoundingClientRect().right > right)
      .map((el) => el.textContent ?? '');
    const cut = [...table.querySelectorAll('thead th')]
      .filter((th) => th.scrollWidth > th.clientWidth + 1)
      .map((th) => th.textContent ?? '');
    return {
      box: box.clientWidth,
      scroll: box.scrollWidth,
      page: document.documentElement.scrollWidth,
      inner: window.innerWidth,
      outside,
      cut,
      fold: Number(table.dataset.fold),
    };
  });

const settingsOf = (page: Page) => page.getByTestId('run-settings').allTextContents();

describe.runIf(RUN)('runs table fits its box (production build, Chromium)', () => {
  const app = useApp();

  it('three pinned runs: fits at 1,440 and 390 px, actions in view, "show only settings that differ"', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openApp(await context.newPage(), app.url, TINY);
    const pin = page.getByRole('button', { name: 'Pin run', exact: true });
    for (const lr of [null, '0.05', '0.02']) {
      if (lr) {
        // a new run (the pinned ones stay), then its learning rate (a change before training, not a live one)
        await page.getByRole('button', { name: 'Reset', exact: true }).click();
        const dialog = page.getByRole('dialog');
        await dialog
          .waitFor({ state: 'visible', timeout: 3000 })
          .then(() =>
            dialog
              .getByRole('button', { name: /^Reset/ })
              .first()
              .click(),
          )
          .catch(() => undefined);
        await waitPhase(page, ['ready'], 60_000);
        const field = page.getByLabel('Learning rate', { exact: true });
        await field.fill(lr);
        await field.press('Enter');
        await expect.poll(() => page.url(), POLL).toContain(`lr=${lr}`);
      }
      await page.getByRole('button', { name: 'Train', exact: true }).click();
      await waitPhase(page, ['stageDone'], 120_000);
      await pin.click();
      await expect.poll(() => pin.getAttribute('aria-pressed'), POLL).toBe('true');
    }
    await expect.poll(() => page.getByTestId('run-row').count(), POLL).toBe(3);

    const wide = await fit(page);
    expect(wide.scroll, '1440: table overflow').toBeLessThanOrEqual(wide.box);
    expect(wide.page, '1440: page overflow').toBeLessThanOrEqual(wide.inner);
    expect(wide.outside, '1440: actions beyond the box').toEqual([]);
    expect(wide.cut, '1440: cut headers').toEqual([]);
    expect(await page.getByRole('button', { name: /^(Unpin|Remove) / }).count()).toBe(3);
    await page.getByTestId('compare-runs').screenshot({ path: join(ARTIFACTS, 'runs-table-1440.png') });

    // the runs' initial settings differ only in the learning rate (a change after Reset is logged as a change at
    // step 0 of the new run): "show only settings that differ" keeps just that
    const all = await settingsOf(page);
    expect(all).toHaveLength(3);
    for (const s of all) expect(s).toMatch(/batch 16/);
    await page.getByRole('checkbox', { name: 'Show only settings that differ' }).check();
    await expect.poll(async () => (await settingsOf(page)).every((s) => /^lr [\d.]+$/.test(s)), POLL).toBe(true);
    expect(new Set(await settingsOf(page)).size).toBeGreaterThan(1);

    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(async () => (await fit(page)).fold, POLL).toBeGreaterThan(0);
    const narrow = await fit(page);
    expect(narrow.scroll, '390: table overflow').toBeLessThanOrEqual(narrow.box);
    expect(narrow.page, '390: page overflow').toBeLessThanOrEqual(narrow.inner);
    expect(narrow.outside, '390: actions beyond the box').toEqual([]);
    expect(narrow.cut, '390: cut headers').toEqual([]);
    // the folded columns are in each row's detail line
    const folded = await page.getByTestId('run-folded').allTextContents();
    expect(folded).toHaveLength(3);
    for (const f of folded) expect(f).toMatch(/best (s2 )?e\d+.*overall \d+\.\d%/);
    await page.getByTestId('compare-runs').screenshot({ path: join(ARTIFACTS, 'runs-table-390.png') });

    // back to wide: every column again
    await page.setViewportSize({ width: 1440, height: 900 });
    await expect.poll(async () => (await fit(page)).fold, POLL).toBe(wide.fold);
    expect(errors).toEqual([]);
    await context.close();
  }, 400_000);
});
