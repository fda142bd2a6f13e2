/**
 * Browser test of the teaching aids (production build, Debian's Chromium, wasm backend, tiny runs): the loss explainer opens
 * from the loss picker with equations rendered by KaTeX (its fonts load from the build) and its chart link moves
 * focus to the chart; the first-visit introduction shows once and stays dismissed after a reload (the "?" brings it
 * back); the feature-space chart fills after an epoch and its data differs between a CE and an FBL run; the dataset
 * gallery shows every training image of the tail class, opened from the class histogram and from class names on
 * the charts (mouse and keyboard: a confusion-matrix label, a per-class axis label); Export → Continue in PyTorch shows the authors' command.
 * Part of `npm test`; under CI=true it always runs (a missing Chromium fails it).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { POLL, e2eEnabled, openApp, phaseOf, useApp, waitPhase } from './harness';
import { cifarArchive } from '../helpers/upload-fixtures';

const RUN = e2eEnabled();

/** Tiny run on the embedded data (78 training images in 5 batches of 16), 6 test images per class, two epochs. */
const TINY = 'backend=wasm&nmax=20&if=10&batch=16&eval=6&log=1&model=convnet&head=linear&epochs=2';

/** The feature-space chart's data table (opened once), as text. */
async function featureSpaceTable(page: Page): Promise<string> {
  const card = page.getByTestId('chart-feature-space');
  await expect.poll(() => card.getAttribute('data-points').then(Number), POLL).toBeGreaterThan(0);
  const toggle = card.locator('.ltc-data-toggle');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  return card.locator('table').innerText();
}

async function trainToEnd(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitPhase(page, ['stageDone'], 240_000);
}

describe.runIf(RUN)('teaching aids in Chromium: explainers, intro, feature space, gallery, PyTorch hand-off (wasm)', () => {
  const app = useApp();

  it('first visit: the introduction shows, stays dismissed after a reload, and the header “?” brings it back', async () => {
    const { page, errors } = await openApp(app.browser, app.url, `${TINY}&loss=ce`, { intro: true, ready: 90_000 });
    const intro = page.getByTestId('intro');
    await expect.poll(() => intro.isVisible(), POLL).toBe(true);
    // step 1: the current data's class histogram (10 bars), step 2: the group thresholds, step 3: what to press
    await expect.poll(() => page.locator('[data-testid=intro-histogram] rect[data-count]').count(), POLL).toBe(10);
    await page.getByTestId('intro-next').click();
    expect(await page.getByTestId('intro-groups').innerText()).toMatch(/more than 100[\s\S]*20 to 100[\s\S]*fewer than 20/);
    await page.getByTestId('intro-next').click();
    expect(await intro.innerText()).toMatch(/Press Train/);
    expect(await intro.innerText()).toMatch(/step 3 of 3/);
    await page.getByTestId('intro-dismiss').click();
    expect(await intro.count()).toBe(0);
    await page.reload();
    await waitPhase(page, ['ready'], 90_000);
    expect(await page.getByTestId('intro').count()).toBe(0);
    await page.getByTestId('intro-open').click();
    await expect.poll(() => page.getByTestId('intro').isVisible(), POLL).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 200_000);

  it('CE run: explainer with KaTeX, chart link focus, gallery of the tail class, feature space, PyTorch command', async () => {
    const { page, errors } = await openApp(app.browser, app.url, `${TINY}&loss=ce`, { ready: 90_000 });
    expect(await page.locator('[data-backend]').getAttribute('data-backend')).toBe('wasm');
    expect(await page.getByTestId('intro').count()).toBe(0); // the harness marks it dismissed

    // --- explainer: opened from the loss picker, KaTeX loaded on demand, its fonts from the build
    const opener = page.getByTestId('explain-loss');
    await opener.click();
    const dlg = page.getByTestId('loss-explainer');
    await expect.poll(() => dlg.isVisible(), POLL).toBe(true);
    await expect.poll(() => dlg.locator('.katex').count(), POLL).toBeGreaterThan(0);
    expect(await dlg.locator('.katex-error').count()).toBe(0);
    expect(await dlg.locator('.katex math').count()).toBeGreaterThan(0); // MathML for screen readers
    expect(await dlg.innerText()).toMatch(/Goodfellow, Bengio, Courville/);
    const fonts = await page.evaluate(async () => {
      await document.fonts.ready;
      return [...document.fonts].filter((f) => f.family.replace(/"/g, '').startsWith('KaTeX')).map((f) => f.status);
    });
    expect(fonts).toContain('loaded');
    const family = await dlg
      .locator('.katex')
      .first()
      .evaluate((e) => getComputedStyle(e).fontFamily);
    expect(family).toMatch(/KaTeX_Main/);
    // focus stays in the modal dialog; Escape closes it and focus returns to the opener
    expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=loss-explainer]'))).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => dlg.isVisible(), POLL).toBe(false);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')), POLL).toBe('explain-loss');
    // the chart link closes the dialog and moves focus to the chart (CE: per-class accuracy)
    await opener.click();
    await expect.poll(() => dlg.isVisible(), POLL).toBe(true);
    await dlg.getByTestId('explainer-chart-link').click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')), POLL).toBe('chart-per-class');

    // --- gallery: the tail bar of the class histogram shows all of that class' training images
    const bars = page.locator('[data-testid=class-histogram] rect[data-count]');
    const counts = (await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))))) as number[];
    const tail = counts.indexOf(Math.min(...counts));
    await bars.nth(tail).click();
    const gallery = page.getByTestId('gallery');
    await expect.poll(() => gallery.isVisible(), POLL).toBe(true);
    const summary = gallery.getByTestId('gallery-summary');
    await expect.poll(() => summary.getAttribute('data-total').then(Number), POLL).toBe(counts[tail]);
    expect(Number(await summary.getAttribute('data-shown'))).toBe(counts[tail]);
    expect(await gallery.locator('canvas').count()).toBe(counts[tail]);
    const lit = await gallery.locator('canvas').evaluateAll((els) =>
      els.map((el) => {
        const c = el as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const levels = new Set<number>();
        for (let i = 0; i < d.length; i += 4) levels.add(d[i]);
        return levels.size;
      }),
    );
    for (const n of lit) expect(n).toBeGreaterThan(4); // a picture, not a blank canvas
    await page.keyboard.press('Escape');
    await expect.poll(() => gallery.isVisible(), POLL).toBe(false);
    // keyboard: the histogram is one Tab stop; the arrow keys move to the head bar and Enter opens a sample of it
    const head = counts.indexOf(Math.max(...counts));
    await page.getByTestId('class-histogram').focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < head; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await expect.poll(() => summary.getAttribute('data-total').then(Number), POLL).toBe(counts[head]);
    await page.keyboard.press('Escape');

    // --- feature space after training
    await trainToEnd(page);
    const ceTable = await featureSpaceTable(page);
    expect(ceTable.length).toBeGreaterThan(50);
    // a class name on the per-class chart's axis opens the same gallery
    await page.locator(`[data-testid=chart-per-class] .ltc-class-tick[data-class="${tail}"]`).click();
    await expect.poll(() => gallery.isVisible(), POLL).toBe(true);
    await expect.poll(() => summary.getAttribute('data-total').then(Number), POLL).toBe(counts[tail]);
    expect(await gallery.locator('canvas').count()).toBe(counts[tail]);
    await page.keyboard.press('Escape');
    await expect.poll(() => gallery.isVisible(), POLL).toBe(false);
    // keyboard: from the confusion matrix' cells, Tab reaches its class names (one Tab stop per axis: predicted,
    // then true classes); End moves to the rarest class (the matrix orders classes by training count), Enter opens
    // its training images, Escape brings focus back to the label
    const active = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return {
          label: el?.getAttribute('aria-label') ?? '',
          cls: el?.getAttribute('data-class') ?? '',
          axis: el?.closest('[data-class-links]')?.getAttribute('data-class-links') ?? '',
          inConfusion: !!el?.closest('[data-testid=chart-confusion]'),
        };
      });
    await page.locator('[data-testid=chart-confusion] .ltc-cm-cell[tabindex="0"]').focus();
    await page.keyboard.press('Tab');
    expect(await active()).toMatchObject({
      axis: 'predicted',
      inConfusion: true,
      label: expect.stringMatching(/^Show training images of /),
    });
    await page.keyboard.press('Tab');
    expect(await active()).toMatchObject({ axis: 'true', inConfusion: true });
    await page.keyboard.press('End');
    // the rarest class (classes with equal counts keep their order, so it may be another class of the same count)
    const last = await active();
    const rare = Number(last.cls);
    expect(counts[rare]).toBe(counts[tail]);
    // the bars are no Tab stops any more: the name comes from the bar's tooltip
    const rareName = (await bars.nth(rare).locator('title').textContent())!.split(':')[0];
    expect(last).toEqual({ label: `Show training images of ${rareName}`, cls: String(rare), axis: 'true', inConfusion: true });
    await page.keyboard.press('Enter');
    await expect.poll(() => gallery.isVisible(), POLL).toBe(true);
    await expect.poll(() => summary.getAttribute('data-total').then(Number), POLL).toBe(counts[rare]);
    expect(await gallery.locator('canvas').count()).toBe(counts[rare]);
    expect(await gallery.locator('h2').innerText()).toBe(`Training images: ${rareName}`);
    await page.keyboard.press('Escape');
    await expect.poll(() => gallery.isVisible(), POLL).toBe(false);
    await expect.poll(() => active().then((a) => a.cls), POLL).toBe(String(rare));
    // Space on the per-class chart's axis label of the head class (a focusable button; focused directly here)
    const headTick = page.locator(`[data-testid=chart-per-class] .ltc-class-tick[data-class="${head}"]`);
    expect(await headTick.getAttribute('role')).toBe('button');
    await headTick.focus();
    await page.keyboard.press(' ');
    await expect.poll(() => summary.getAttribute('data-total').then(Number), POLL).toBe(counts[head]);
    expect(await phaseOf(page)).toBe('stageDone'); // Space opened the gallery; it was not the train / pause shortcut
    await page.keyboard.press('Escape');
    await expect.poll(() => gallery.isVisible(), POLL).toBe(false);

    // --- Continue in PyTorch
    await page.getByRole('button', { name: 'Export…' }).click();
    await expect.poll(() => page.getByTestId('export-dialog').isVisible(), POLL).toBe(true);
    const cmd = await page.getByTestId('pytorch-command').first().innerText();
    expect(cmd).toMatch(/^python cifar_train\.py .*--loss_type CE .*--imb_factor 0\.1\b/);
    expect(await page.getByTestId('pytorch-handoff').innerText()).toMatch(/kaidic\/LDAM-DRW/);
    expect(await page.getByTestId('pytorch-not-carried').innerText()).toMatch(/Fashion-MNIST/);
    await page.keyboard.press('Escape');

    // --- an FBL run on the same data and seed: a different feature space
    const fbl = await openApp(app.browser, app.url, `${TINY}&loss=fbl`, { ready: 90_000 });
    await trainToEnd(fbl.page);
    const fblTable = await featureSpaceTable(fbl.page);
    expect(fblTable).not.toEqual(ceTable);
    await fbl.page.getByRole('button', { name: 'Export…' }).click();
    expect(await fbl.page.getByTestId('pytorch-command').first().innerText()).toMatch(
      /^python train\.py .*--loss_type FeaBal .*--lambda_ 60/,
    );
    expect(fbl.errors).toEqual([]);
    expect(errors).toEqual([]);
    await fbl.page.close();
    await page.close();
  }, 400_000);

  it('the gallery works on uploaded data (a CIFAR-10 archive): every image of its tail class at 32×32', async () => {
    const { page, errors } = await openApp(app.browser, app.url, `${TINY}&loss=ce`, { ready: 90_000 });
    await page.locator('[data-testid=data-source] > summary').click();
    const archive = Buffer.from(cifarArchive('cifar10', 60, 10));
    await page.getByTestId('upload-cifar').setInputFiles({ name: 'cifar-10-binary.tar.gz', mimeType: 'application/gzip', buffer: archive });
    await expect.poll(() => page.locator('[data-testid=field-dataset] select').inputValue(), POLL).toBe('cifar10-lt@1');
    await waitPhase(page, ['ready'], 90_000);
    const bars = page.locator('[data-testid=class-histogram] rect[data-count]');
    const counts = (await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))))) as number[];
    const tail = counts.indexOf(Math.min(...counts));
    await bars.nth(tail).click();
    const gallery = page.getByTestId('gallery');
    await expect.poll(() => gallery.getByTestId('gallery-summary').getAttribute('data-total').then(Number), POLL).toBe(counts[tail]);
    const sizes = await gallery
      .locator('canvas')
      .evaluateAll((els) => els.map((e) => `${(e as HTMLCanvasElement).width}x${(e as HTMLCanvasElement).height}`));
    expect(sizes).toEqual(new Array(counts[tail]).fill('32x32'));
    expect(await gallery.locator('h2').innerText()).toMatch(/Training images: \S/);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);
});
