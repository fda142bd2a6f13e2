/**
 * Presenter mode in Chromium (production build): every chart card opens full window from its own button, by
 * keyboard; the rest of the page is inert (Tab stays in the card), a compact header shows the status and one
 * Train / Pause button, Escape returns and puts focus back on the card's button; axe finds no serious violation.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { describe, expect, it } from 'vitest';
import { POLL, e2eEnabled, openApp, useApp, waitPhase } from './harness';
import { CHARTS } from '../../src/state/session/chart-catalog';

const RUN = e2eEnabled('presenter mode');
const GCL = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&loss=gcl&epochs=1';

describe.runIf(RUN)('presenter mode (production build, Chromium)', () => {
  const app = useApp();

  it('every chart opens full window and large by keyboard; Escape returns focus; axe clean', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openApp(await context.newPage(), app.url, GCL);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone'], 120_000);

    // keyboard: the skip link, then the first chart's Present button
    await page.locator('.skip-link').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), POLL).toBe('charts');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(/^Present “Training loss/);

    const shown = CHARTS.map((c) => c.id);
    const found: string[] = [];
    for (const id of shown) {
      const card = page.getByTestId(`chart-${id}`);
      const opener = card.getByTestId('present-open');
      if (!(await opener.count())) continue;
      await opener.focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => card.getAttribute('data-presenting'), POLL).toBe('true');
      expect(await card.getAttribute('role')).toBe('dialog');
      expect(await card.getAttribute('aria-modal')).toBe('true');
      // the whole window, drawn large (zoomed), focus on Close
      const b = (await card.boundingBox())!;
      expect(b.width).toBeGreaterThanOrEqual(1430);
      expect(b.height).toBeGreaterThanOrEqual(890);
      expect(Number(await card.evaluate((e) => getComputedStyle(e).zoom))).toBeGreaterThan(1);
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('present-close');
      // the compact header, and the page behind it inert: Tab stays in the card
      expect(await card.getByTestId('present-status').textContent()).toMatch(/Stage finished · stage 1, epoch 1 \/ 1/);
      expect(await page.locator('.app-header').evaluate((e) => !!e.closest('[inert]'))).toBe(true);
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press('Tab');
        expect(await page.evaluate((id) => !!document.activeElement?.closest(`[data-testid="chart-${id}"]`), id), `${id}: Tab ${i}`).toBe(
          true,
        );
      }
      if (id === 'loss' || id === 'confusion') {
        const r = await new AxeBuilder({ page }).analyze();
        found.push(
          ...r.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${id}: ${v.id} ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`),
        );
      }
      if (id === 'confusion') {
        // a cell's images open above the presented matrix; their Escape closes only that dialog
        await card.locator('rect.ltc-cm-cell[tabindex="0"]').first().focus();
        await page.keyboard.press('Enter');
        const drill = page.getByTestId('drilldown');
        await expect.poll(() => drill.isVisible(), POLL).toBe(true);
        await page.keyboard.press('Escape');
        await expect.poll(() => drill.isVisible(), POLL).toBe(false);
        expect(await card.getAttribute('data-presenting')).toBe('true');
        await card.getByTestId('present-close').focus();
      }
      await page.keyboard.press('Escape');
      await expect.poll(() => card.getAttribute('data-presenting'), POLL).toBeNull();
      expect(await opener.evaluate((e) => e === document.activeElement), `${id}: focus back on its button`).toBe(true);
      expect(await page.locator('.app-header').evaluate((e) => !!e.closest('[inert]'))).toBe(false);
    }
    // Close by its button this time
    const card = page.getByTestId('chart-loss');
    await card.getByTestId('present-open').click();
    await expect.poll(() => card.getAttribute('data-presenting'), POLL).toBe('true');
    await card.getByTestId('present-close').click();
    await expect.poll(() => card.getAttribute('data-presenting'), POLL).toBeNull();
    expect(found).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);
});
