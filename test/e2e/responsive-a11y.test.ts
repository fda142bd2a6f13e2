/**
 * Works for everyone: no sideways scrolling at 390 px (a phone) and 1,440 px (a laptop), also after
 * training; on a phone the charts come before the settings (which fold into a drawer) and every header button is
 * on screen; axe-core finds no serious or critical violation on the main states (first visit, training, finished
 * with 3 pinned runs, each dialog open).
 */
import { AxeBuilder } from '@axe-core/playwright';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { POLL, e2eEnabled, openApp, useApp, waitPhase } from './harness';

const RUN = e2eEnabled('responsive + accessible');
const TINY = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=ce&head=linear&epochs=1';

const overflow = (page: Page) => page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));

async function serious(page: Page, state: string): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  return bad.map(
    (v) =>
      `${state}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes
        .map((n) => n.target.join(' '))
        .slice(0, 3)
        .join(' | ')}`,
  );
}

async function trainToEnd(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitPhase(page, ['stageDone'], 120_000);
}

describe.runIf(RUN)('responsive and accessible (production build, Chromium)', () => {
  const app = useApp();

  it('1,440 px: no sideways scroll before and after training; axe: first visit, training, 3 pinned runs, each dialog', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1440, height: 900 } }); // axe wants a context page
    const { page, errors } = await openApp(await context.newPage(), app.url, TINY);
    const found: string[] = [];
    let o = await overflow(page);
    expect(o.scroll, 'first visit').toBeLessThanOrEqual(o.inner);
    found.push(...(await serious(page, 'first visit')));

    await page.getByRole('button', { name: 'Train', exact: true }).click();
    found.push(...(await serious(page, 'training')));
    await waitPhase(page, ['stageDone'], 120_000);
    const pin = page.getByRole('button', { name: 'Pin run', exact: true });
    await pin.click();
    for (let i = 0; i < 2; i++) {
      await page.getByLabel('Seed').fill(String(10 + i));
      await page.getByLabel('Seed').press('Tab');
      // a new seed needs new weights: the page may ask first (the finished run is pinned, it stays)
      const dialog = page.getByRole('dialog');
      await dialog
        .waitFor({ state: 'visible', timeout: 5000 })
        .then(() => dialog.getByRole('button', { name: 'Reset and apply' }).click())
        .catch(() => undefined);
      await waitPhase(page, ['ready'], 60_000);
      await trainToEnd(page);
      await pin.click();
    }
    o = await overflow(page);
    expect(o.scroll, 'after training').toBeLessThanOrEqual(o.inner);
    found.push(...(await serious(page, 'finished, 3 pinned runs')));

    for (const name of ['Export…', 'Classroom link…']) {
      const opener = page.getByRole('button', { name });
      await opener.click();
      await expect.poll(() => page.getByRole('dialog').isVisible(), POLL).toBe(true);
      found.push(...(await serious(page, `${name} dialog`)));
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByRole('dialog').isVisible(), POLL).toBe(false);
      // focus returns to the opener
      expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true);
    }
    // the reset dialog (a loss change after training asks first); Cancel returns focus to the select
    const loss = page.getByLabel('Loss function');
    await loss.focus(); // as a keyboard user choosing from the select
    await loss.selectOption('ldam');
    await expect.poll(() => page.getByRole('dialog').isVisible(), POLL).toBe(true);
    found.push(...(await serious(page, 'reset dialog')));
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByRole('dialog').isVisible(), POLL).toBe(false);
    expect(await loss.evaluate((el) => el === document.activeElement)).toBe(true);

    expect(found).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 400_000);

  it('390 px (a phone): charts before settings, the settings in a drawer, header buttons on screen, no sideways scroll', async () => {
    const context = await app.browser.newContext({ viewport: { width: 390, height: 844 } });
    const { page, errors } = await openApp(await context.newPage(), app.url, TINY);
    let o = await overflow(page);
    expect(o.scroll, 'first visit').toBeLessThanOrEqual(o.inner);
    for (const name of ['Train', 'Step', 'Reset', 'Export…', 'Classroom link…']) {
      const b = await page.getByRole('button', { name, exact: true }).boundingBox();
      expect(b, name).not.toBeNull();
      expect(b!.x, name).toBeGreaterThanOrEqual(0);
      expect(b!.x + b!.width, name).toBeLessThanOrEqual(390);
    }
    // the charts come first; the settings open from a drawer button
    const charts = await page.getByTestId('chart-loss').boundingBox();
    const drawer = page.getByRole('button', { name: /Settings/ });
    expect(await drawer.getAttribute('aria-expanded')).toBe('false');
    expect(await page.getByLabel('Seed').isVisible()).toBe(false);
    expect(charts!.y).toBeLessThan(900);
    await drawer.click();
    await expect.poll(() => page.getByLabel('Seed').isVisible(), POLL).toBe(true);
    expect(await drawer.getAttribute('aria-expanded')).toBe('true');
    o = await overflow(page);
    expect(o.scroll, 'drawer open').toBeLessThanOrEqual(o.inner);
    await drawer.click();
    await trainToEnd(page);
    o = await overflow(page);
    expect(o.scroll, 'after training').toBeLessThanOrEqual(o.inner);
    expect(await serious(page, 'phone, finished')).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);
});
