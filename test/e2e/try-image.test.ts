/**
 * "Try an image" in Chromium on the production build (wasm): a drawing on the canvas is scored by the current model
 * (probabilities that sum to 1, head and tail marked), and a test image sent from the confusion-matrix drill-down
 * gets the very prediction and confidence the evaluation gave it. Keyboard: Escape closes; axe finds nothing serious.
 */
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ARTIFACTS, POLL, e2eEnabled, openApp, useApp, waitPhase } from './harness';

const RUN = e2eEnabled();
const TINY = 'backend=wasm&nmax=20&if=10&batch=16&eval=6&log=1&model=convnet&loss=ce&head=linear&epochs=1';

const probsOf = (page: Page) =>
  page.$$eval('[data-testid=try-probs] tbody tr', (trs) =>
    trs.map((tr) => ({
      cls: Number(tr.getAttribute('data-class')),
      p: Number(tr.getAttribute('data-prob')),
      group: tr.querySelector('td')?.textContent ?? '',
    })),
  );

describe.runIf(RUN)('Try an image (Chromium, production build, wasm)', () => {
  const app = useApp();

  it('scores a drawing and a drill-down test image in the worker, as the evaluation does', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page, errors } = await openApp(await context.newPage(), app.url, TINY);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await waitPhase(page, ['stageDone'], 240_000);

    // a drawing
    await page.getByRole('button', { name: 'Try an image…' }).click();
    const dialog = page.getByTestId('try-image');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    const pad = (await dialog.getByTestId('try-pad').boundingBox())!;
    await page.mouse.move(pad.x + pad.width * 0.3, pad.y + pad.height * 0.2);
    await page.mouse.down();
    for (let i = 0; i <= 20; i++) await page.mouse.move(pad.x + pad.width * (0.3 + i * 0.02), pad.y + pad.height * (0.2 + i * 0.03));
    await page.mouse.up();
    await expect.poll(async () => (await probsOf(page)).length, POLL).toBe(10);
    const drawn = await probsOf(page);
    expect(drawn.reduce((a, r) => a + r.p, 0)).toBeCloseTo(1, 5);
    expect(drawn.map((r) => r.p)).toEqual([...drawn.map((r) => r.p)].sort((a, b) => b - a)); // most likely first
    expect(drawn.every((r) => ['head', 'medium', 'tail'].includes(r.group))).toBe(true); // each class' group is marked
    expect(drawn.some((r) => r.group === 'tail')).toBe(true);
    expect(await dialog.getByTestId('try-verdict').textContent()).toMatch(/^your drawing: .+ \(\d+\.\d%\), by the model after 1 epoch$/);
    const axe = await new AxeBuilder({ page }).include('[data-testid=try-image]').analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(false);

    // a test image from the drill-down: the evaluation's prediction and confidence
    const cell = page.locator('[data-testid=chart-confusion] rect.ltc-cm-cell:not([data-count="0"])').first();
    await cell.scrollIntoViewIfNeeded();
    const box = (await cell.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const drill = page.getByTestId('drilldown');
    await expect.poll(() => drill.locator('button.drill-try').count(), POLL).toBeGreaterThan(0);
    const label = (await drill.locator('button.drill-try canvas').first().getAttribute('aria-label'))!;
    const [, pred, conf] = /predicted (.+) with (\d+) % confidence$/.exec(label)!;
    await drill.locator('button.drill-try').first().click();
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    await expect.poll(async () => (await probsOf(page)).length, POLL).toBe(10);
    const verdict = (await dialog.getByTestId('try-verdict').textContent())!;
    expect(verdict).toContain(`test image #`);
    expect(verdict).toContain(`: ${pred} (`);
    const top = (await probsOf(page))[0];
    expect(Math.round(top.p * 100)).toBe(Number(conf));
    await dialog.screenshot({ path: join(ARTIFACTS, 'try-image.png') });
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);
});
