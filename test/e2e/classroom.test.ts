/**
 * Browser test of the classroom link: the production build (productionBuild(), shared with the other e2e files) in
 * Debian's Chromium with software WebGPU. A teacher opens the dialog, ticks controls, copies the link and opens it
 * in a new tab: those controls are not in the page (not merely invisible), the others are, a line says controls
 * are hidden, the settings still come from the link, training works from the header, the link survives a live
 * change and a reload, and "Show all controls" brings everything back. Under CI=true it always runs.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ARTIFACTS, POLL, collectErrors, e2eEnabled, stepOf, useApp, waitPhase, waitStep } from './harness';
import { CONTROL_CHANGES, HIDE_IDS, type HideId, type SettingControl } from '../../src/state/settings/classroom';

const RUN = e2eEnabled();

/** Tiny run on the embedded data (78 training images in 5 batches of 16) with KPS fixed by the teacher. */
const TINY = 'backend=webgpu&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&epochs=2&loss=kps';
/** What the test ticks in the dialog, and what the link must then say (table order). */
const TICK = ['Loss picker', 'Model and head', 'Reset button and the R shortcut', 'Confusion matrix'];
const HIDE = 'hide=model,loss,reset,chart-confusion';

/** The controls a classroom link can hide, by their accessible names, and whether each is in the page. */
async function present(page: Page): Promise<Record<string, number>> {
  return {
    loss: await page.getByLabel('Loss function').count(),
    model: await page.getByLabel('Model', { exact: true }).count(),
    head: await page.getByLabel('Head', { exact: true }).count(),
    reset: await page.getByRole('button', { name: 'Reset', exact: true }).count(),
    confusion: await page.getByTestId('chart-confusion').count(),
    lr: await page.getByLabel('Learning rate', { exact: true }).count(),
    imbalance: await page.getByLabel('Imbalance factor', { exact: true }).count(),
    maxMargin: await page.getByLabel('Max margin').count(),
    export: await page.getByRole('button', { name: 'Export…' }).count(),
    lossChart: await page.getByTestId('chart-loss').count(),
  };
}

describe.runIf(RUN)('classroom link in Chromium (production build)', () => {
  const app = useApp({ timeout: 300_000 });

  it('the classroom link hides the chosen controls; training works; "Show all controls" brings them back', async () => {
    const t0 = Date.now();
    const context = await app.browser.newContext({
      viewport: { width: 1400, height: 1000 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    const errors = collectErrors(context);

    // the teacher's tab
    const teacher = await context.newPage();
    await teacher.goto(`${app.url}/?${TINY}`);
    await waitPhase(teacher, ['ready']);
    expect(await teacher.locator('[data-backend]').getAttribute('data-backend')).toBe('webgpu');
    expect(await present(teacher)).toMatchObject({ loss: 1, model: 1, head: 1, reset: 1, confusion: 1, lr: 1 });
    await teacher.getByRole('button', { name: 'Classroom link…' }).click();
    const dialog = teacher.getByTestId('classroom-dialog');
    await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
    const urlField = dialog.getByLabel('Link', { exact: true });
    expect(await urlField.getAttribute('readonly')).not.toBeNull();
    expect(await urlField.inputValue()).not.toContain('hide=');
    for (const label of TICK) await dialog.getByLabel(label, { exact: true }).check();
    const link = await urlField.inputValue();
    expect(link.startsWith(`${app.url}/?`)).toBe(true);
    expect(link.endsWith(`&${HIDE}`)).toBe(true);
    for (const part of ['loss=kps', 'model=convnet', 'if=10', 'nmax=20', 'batch=16']) expect(link).toContain(part);
    expect(await dialog.getByRole('link', { name: 'Open in a new tab' }).getAttribute('href')).toBe(link);
    await dialog.screenshot({ path: join(ARTIFACTS, 'classroom-dialog.png') });
    // copy: the clipboard gets the link and the dialog says so
    await dialog.getByRole('button', { name: 'Copy link' }).click();
    await expect.poll(() => dialog.getByTestId('classroom-status').textContent(), POLL).toBe('Copied');
    expect(await teacher.evaluate(() => navigator.clipboard.readText())).toBe(link);

    // the students' tab, opened from the dialog's link
    const [student] = await Promise.all([context.waitForEvent('page'), dialog.getByRole('link', { name: 'Open in a new tab' }).click()]);
    await teacher.close();
    await student.setViewportSize({ width: 1400, height: 1000 });
    await waitPhase(student, ['ready']);
    expect(student.url()).toBe(link);
    expect(await student.locator('[data-backend]').getAttribute('data-backend')).toBe('webgpu');
    // hidden: not in the page at all; the others stay (the KPS hyperparameters, the lr, the IF, Export…)
    expect(await present(student)).toEqual({
      loss: 0,
      model: 0,
      head: 0,
      reset: 0,
      confusion: 0,
      lr: 1,
      imbalance: 1,
      maxMargin: 1,
      export: 1,
      lossChart: 1,
    });
    // the settings of the hidden controls still come from the link
    expect(await student.getByTestId('loss-fixed').textContent()).toMatch(/KPS/);
    expect(await student.getByTestId('running-line').textContent()).toMatch(/KPS.*ConvNet/);
    const line = student.getByTestId('classroom-line');
    expect(await line.textContent()).toContain('Some controls are hidden by this classroom link');
    expect(await student.locator('.notices').count()).toBe(0);
    expect(await student.locator('.shortcuts-help').textContent()).not.toMatch(/\breset\b/);

    // training works from the header
    await student.getByRole('button', { name: 'Step', exact: true }).click();
    await waitStep(student, 1, 180_000);
    await waitPhase(student, ['paused', 'ready']);
    await expect.poll(async () => Number(await student.getByTestId('chart-loss').getAttribute('data-points')), POLL).toBeGreaterThan(0);
    // R does nothing while Reset is hidden (S still steps)
    await student.locator('h1').click();
    await student.keyboard.press('r');
    await student.waitForTimeout(800);
    expect(await stepOf(student)).toBe(1);
    await student.evaluate(() => window.scrollTo(0, 0));
    await student.screenshot({ path: join(ARTIFACTS, 'classroom.png'), fullPage: true });

    // a live change (the lr) rewrites the URL and keeps hide=; a reload keeps the controls hidden
    const lr = student.getByLabel('Learning rate', { exact: true });
    await lr.fill('0.05');
    await lr.press('Enter');
    await expect.poll(() => student.url(), POLL).toContain('lr=0.05');
    expect(student.url().endsWith(`&${HIDE}`)).toBe(true);
    await student.reload();
    await waitPhase(student, ['ready']);
    expect(await present(student)).toMatchObject({ loss: 0, model: 0, reset: 0, confusion: 0, lr: 1 });
    expect(await student.getByLabel('Learning rate', { exact: true }).inputValue()).toBe('0.05');

    // the escape hatch
    await student.getByRole('button', { name: 'Show all controls' }).click();
    await expect.poll(() => student.getByLabel('Loss function').count(), POLL).toBe(1);
    expect(await present(student)).toMatchObject({ loss: 1, model: 1, head: 1, reset: 1, lr: 1 });
    expect(await student.getByLabel('Loss function').inputValue()).toBe('kps');
    expect(await line.count()).toBe(0);
    await expect.poll(() => student.url(), POLL).not.toContain('hide=');
    expect(student.url()).toContain('lr=0.05');

    // unknown and hostile ids in a link: ignored, listed as text in the URL notice
    await student.goto(`${link}&hide=${encodeURIComponent('bogus,<img src=x onerror="window.__pwned=1">')}`);
    await waitPhase(student, ['ready']);
    const notice = student.getByTestId('notice-url');
    expect(await notice.textContent()).toContain('hide=bogus');
    expect(await notice.textContent()).toContain('<img src=x');
    expect(await student.locator('.notices img').count()).toBe(0);
    expect(await student.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await present(student)).toMatchObject({ loss: 0, model: 0 });
    // the page writes back only the known ids
    await expect.poll(() => student.url(), POLL).not.toContain('bogus');
    expect(student.url().endsWith(`&${HIDE}`)).toBe(true);

    expect(errors).toEqual([]);
    console.log(`[e2e] classroom link on WebGPU (SwiftShader): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await context.close();
  }, 420_000);

  /** GCL, so the stage-2 section, its recipe rows and the sweep's loss hyperparameters are all in the page. */
  const GCL = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&epochs=1&loss=gcl';

  /** Each control that changes settings, found in the page; `inside` is the hide id of its container. */
  const CONTROLS: Record<
    Exclude<SettingControl, 'resume' | 'sweep-loss-param' | 'sweep-lr' | 'sweep-batchSize' | 'sweep-imbalance'>,
    {
      count(p: Page): Promise<number>;
      inside?: HideId;
    }
  > = {
    preset: { count: (p) => p.getByRole('button', { name: /^Preset:/ }).count(), inside: 'compare' },
    seeds: { count: (p) => p.getByTestId('seeds-input').count(), inside: 'compare' },
    'load-model': { count: (p) => p.getByLabel('Load a TensorFlow.js zip').count(), inside: 'export' },
    'recipe-toggle': { count: (p) => p.getByTestId('field-recipe').count() },
    'recipe-batchSize': { count: (p) => p.getByTestId('recipe-batchSize').count() },
    'recipe-mixupAlpha': { count: (p) => p.getByTestId('recipe-mixupAlpha').count() },
    'recipe-linearInit': { count: (p) => p.getByTestId('recipe-linearInit').count() },
    'recipe-fblCurriculum': { count: (p) => p.getByTestId('recipe-fblCurriculum').count() },
    'recipe-stage2.from': { count: (p) => p.getByTestId('recipe-stage2-from').count() },
    'recipe-stage2.sampler': { count: (p) => p.getByTestId('recipe-stage2-sampler').count() },
    'recipe-stage2.batchSize': { count: (p) => p.getByTestId('recipe-stage2-batchSize').count() },
    'validation-split': { count: (p) => p.getByTestId('field-val-fraction').count() },
    'stage2-start': { count: (p) => p.getByRole('button', { name: 'Start stage 2' }).count() },
    lesson: { count: (p) => p.getByTestId('lesson-open').count() },
  };
  /** A setting's own field (or the control itself, for the ids that are not settings). */
  const OWN: Record<string, (p: Page) => Promise<number>> = {
    data: (p) => p.getByTestId('field-dataset').count(),
    imbalance: (p) => p.getByTestId('field-imbalance').count(),
    histogram: (p) => p.getByTestId('class-histogram').count(),
    model: (p) => p.getByTestId('field-model').count(),
    optimiser: (p) => p.getByTestId('field-lr').count(),
    sampling: (p) => p.getByTestId('field-sampler').count(),
    backend: (p) => p.getByLabel('Backend', { exact: true }).count(),
    loss: (p) => p.getByTestId('field-loss').count(),
    'loss-params': (p) => p.locator('[data-testid^="hp-"]').count(),
    stage2: (p) => p.getByLabel('Stage-2 sampler', { exact: true }).count(),
    export: (p) => p.getByRole('button', { name: 'Export…' }).count(),
    reset: (p) => p.getByRole('button', { name: 'Reset', exact: true }).count(),
    compare: (p) => p.getByTestId('compare-runs').count(),
  };
  /** The sweep's parameter list: the general ones and whether any loss hyperparameter is offered. */
  async function sweepOffer(p: Page): Promise<string[] | null> {
    if (!(await p.getByTestId('sweep-param').count())) return null;
    const values = await p
      .getByTestId('sweep-param')
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    return [...new Set(values.map((v) => (['lr', 'batchSize', 'imbalance'].includes(v) ? v : 'loss-param')))].sort();
  }

  it('every hide id: no control that would change a hidden setting is in the page (one link per id)', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const errors = collectErrors(context);
    const page = await context.newPage();
    const report: string[] = [];
    // what the page shows with nothing hidden (some recipe rows belong to other losses)
    const base: Record<string, number> = {};
    let baseOffer: string[] = [];
    for (const id of ['', ...HIDE_IDS] as const) {
      await page.goto(`${app.url}/?${GCL}${id ? `&hide=${id}` : ''}`);
      await waitPhase(page, ['ready']);
      const counts: Record<string, number> = {};
      for (const [control, { count }] of Object.entries(CONTROLS)) if (control !== 'load-model') counts[control] = await count(page);
      // "Load a model" lives in the Export dialog
      counts['load-model'] = 0;
      if (await page.getByRole('button', { name: 'Export…' }).count()) {
        await page.getByRole('button', { name: 'Export…' }).click();
        await expect.poll(() => page.locator('dialog[open]').count(), POLL).toBe(1);
        counts['load-model'] = await CONTROLS['load-model'].count(page);
        await page.keyboard.press('Escape');
        await expect.poll(() => page.locator('dialog[open]').count(), POLL).toBe(0);
      }
      const offer = await sweepOffer(page);
      if (!id) {
        Object.assign(base, counts);
        baseOffer = offer ?? [];
        for (const c of ['preset', 'load-model', 'recipe-toggle', 'validation-split', 'stage2-start', 'recipe-stage2.sampler', 'lesson'])
          expect(base[c], `${c} is in the page with nothing hidden`).toBeGreaterThan(0);
        expect(baseOffer).toEqual(['batchSize', 'imbalance', 'loss-param', 'lr']);
        continue;
      }
      for (const [control, { inside }] of Object.entries(CONTROLS)) {
        const changes = CONTROL_CHANGES[control as SettingControl] as readonly string[];
        const expected = changes.includes(id) || inside === id ? 0 : base[control];
        expect(counts[control], `hide=${id}: ${control}`).toBe(expected);
      }
      for (const [own, count] of Object.entries(OWN)) {
        const n = await count(page);
        if (own === id) expect(n, `hide=${id}: its own control`).toBe(0);
        else expect(n, `hide=${id}: ${own} stays`).toBeGreaterThan(0);
      }
      if (id.startsWith('chart-')) expect(await page.getByTestId(id).count()).toBe(0);
      else expect(await page.getByTestId('chart-loss').count()).toBe(1);
      if (id === 'compare') expect(offer).toBeNull();
      else {
        const want = baseOffer.filter((k) => !(CONTROL_CHANGES[`sweep-${k}` as SettingControl] as readonly string[]).includes(id));
        expect(offer, `hide=${id}: the sweep's parameters`).toEqual(want);
      }
      report.push(
        `${id}: ${
          Object.keys(CONTROLS)
            .filter((c) => base[c] && !counts[c])
            .join('/') || 'none'
        } gone`,
      );
    }
    console.log(`[e2e] classroom rule, one link per id: ${report.join('; ')}`);
    expect(errors).toEqual([]);
    await context.close();
  }, 600_000);
});
