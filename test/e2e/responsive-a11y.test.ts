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
      await page.getByLabel('Seed', { exact: true }).fill(String(10 + i));
      await page.getByLabel('Seed', { exact: true }).press('Tab');
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
    expect(await page.getByLabel('Seed', { exact: true }).isVisible()).toBe(false);
    expect(charts!.y).toBeLessThan(900);
    await drawer.click();
    await expect.poll(() => page.getByLabel('Seed', { exact: true }).isVisible(), POLL).toBe(true);
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

  /** A tiny GCL run, so "Start stage 2" can appear beside Train. */
  const GCL = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=gcl&epochs=1&s2.epochs=1';
  const box = (page: Page, sel: string) =>
    page.evaluate((sel) => {
      const e = document.querySelector(sel);
      if (!e) return null;
      const r = e.getBoundingClientRect();
      return { x: r.x, y: r.y + window.scrollY, w: r.width, h: r.height };
    }, sel);

  it.each([
    [390, 844],
    [1440, 900],
  ])(
    'layout at %i × %i: compact header, one-line badge, Compare runs before the charts, skip link, one-stop histogram, Start stage 2 beside Train',
    async (width, height) => {
      const phone = width < 700;
      const context = await app.browser.newContext({ viewport: { width, height } });
      const { page, errors } = await openApp(await context.newPage(), app.url, GCL);
      const found: string[] = [];
      const header = (await box(page, '.app-header'))!;
      const badge = (await box(page, '.app-header .badge'))!;
      const compare = (await box(page, '[data-testid=compare-runs]'))!;
      const firstChart = (await box(page, '[data-testid=chart-loss]'))!;
      if (phone) expect(header.h, 'header height').toBeLessThanOrEqual(120);
      else expect(header.h, 'header height').toBeLessThanOrEqual(0.2 * height);
      // the badge: one line, inside the screen, its whole text in its title
      const lineHeight = await page.locator('.app-header .badge').evaluate((e) => parseFloat(getComputedStyle(e).fontSize) * 1.9);
      expect(badge.h, 'badge on one line').toBeLessThanOrEqual(lineHeight);
      expect(badge.x).toBeGreaterThanOrEqual(0);
      expect(badge.x + badge.w).toBeLessThanOrEqual(width);
      const reason = (await page.locator('.app-header .badge-reason').textContent())!.trim();
      expect(reason.length).toBeGreaterThan(0);
      expect(await page.locator('.app-header .badge').getAttribute('title')).toContain(reason);
      // Compare runs comes before the charts (on a phone too)
      expect(compare.y + compare.h, 'Compare runs above the first chart').toBeLessThanOrEqual(firstChart.y);
      let o = await overflow(page);
      expect(o.scroll, 'no sideways scroll').toBeLessThanOrEqual(o.inner);
      console.log(
        `[e2e] layout ${width}×${height}: header ${header.h.toFixed(0)} px, badge ${badge.h.toFixed(0)} px high, Compare runs at ${compare.y.toFixed(0)} px, first chart at ${firstChart.y.toFixed(0)} px`,
      );

      // the skip link is the first Tab stop and lands on the charts; the next Tab is inside the first chart
      await page.locator('body').focus();
      await page.keyboard.press('Tab');
      const first = await page.evaluate(() => ({
        text: document.activeElement?.textContent,
        href: document.activeElement?.getAttribute('href'),
      }));
      expect(first).toEqual({ text: 'Skip to the charts', href: '#charts' });
      expect(await page.locator('.skip-link').evaluate((e) => e.getBoundingClientRect().top >= 0)).toBe(true); // shown while focused
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate(() => document.activeElement?.id), POLL).toBe('charts');
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => !!document.activeElement?.closest('#charts [data-testid^=chart-]'))).toBe(true);

      // the class histogram: one Tab stop (its log-scale box aside), arrow keys pick a class, Enter opens it
      if (phone) await page.getByRole('button', { name: /Settings/ }).click();
      const hist = page.getByTestId('class-histogram');
      await expect.poll(() => hist.isVisible(), POLL).toBe(true);
      const stops = await page
        .locator('.config-panel .histogram')
        .evaluate(
          (fig) =>
            [...fig.querySelectorAll<HTMLElement | SVGElement>('a[href], button, input, select, [tabindex]')].filter(
              (e) => (e as HTMLElement).tabIndex >= 0 && !(e as HTMLInputElement).disabled,
            ).length,
        );
      expect(stops, 'the log-scale checkbox and the chart').toBe(2);
      expect(await hist.getAttribute('tabindex')).toBe('0');
      await hist.focus();
      const active = page.getByTestId('class-histogram-active');
      expect(await active.textContent()).toMatch(/^T-shirt\/top: \d+ training images/);
      await page.keyboard.press('End');
      expect(await hist.getAttribute('data-active')).toBe('9');
      expect(await active.textContent()).toMatch(/^Ankle boot: 2 training images \(few\)/);
      await page.keyboard.press('ArrowLeft');
      expect(await hist.getAttribute('data-active')).toBe('8');
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      const gallery = page.getByTestId('gallery');
      await expect.poll(() => gallery.isVisible(), POLL).toBe(true);
      expect(await gallery.locator('h2').innerText()).toContain('Ankle boot');
      await page.keyboard.press('Escape');
      await expect.poll(() => gallery.isVisible(), POLL).toBe(false);
      if (phone) await page.getByRole('button', { name: /Settings/ }).click();
      found.push(...(await serious(page, `${width} px, first visit`)));

      // "Start stage 2" beside Train once stage 1 has run, the header still compact
      expect(await page.getByTestId('header-stage2').count()).toBe(0);
      await trainToEnd(page);
      const stage2 = page.getByTestId('header-stage2');
      await expect.poll(() => stage2.isVisible(), POLL).toBe(true);
      const s2 = (await stage2.boundingBox())!;
      const train = (await page.getByRole('button', { name: 'Train', exact: true }).boundingBox())!;
      expect(Math.abs(s2.y - train.y), 'on the Train row').toBeLessThan(4);
      expect(s2.x + s2.width).toBeLessThanOrEqual(width);
      const after = (await box(page, '.app-header'))!;
      if (phone) expect(after.h, 'header height with Start stage 2').toBeLessThanOrEqual(120);
      o = await overflow(page);
      expect(o.scroll, 'no sideways scroll after training').toBeLessThanOrEqual(o.inner);
      found.push(...(await serious(page, `${width} px, stage 1 done`)));
      await stage2.click();
      await expect.poll(() => page.getByTestId('stage').textContent(), POLL).toBe('2');
      await waitPhase(page, ['stageDone'], 120_000);
      expect(await stage2.count()).toBe(0);
      expect(found).toEqual([]);
      expect(errors).toEqual([]);
      await context.close();
    },
    300_000,
  );
});
