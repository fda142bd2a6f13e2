/**
 * The Lesson in Chromium (production build), inside a classroom link that fixes a tiny configuration (the data,
 * optimiser and sampling settings hidden, so the lesson keeps the link's values): it opens from `lesson=1`, runs end
 * to end by keyboard (CE, KPS, FBL, GCL stage 1 → 2, summary), each step outlines and scrolls to its chart, Back
 * works, a reload resumes at the same step, its text shows beside a chart in presenter mode; axe finds no serious
 * violation in the lesson and in presenter mode; no sideways scroll at 390 px.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { POLL, e2eEnabled, openApp, useApp, waitPhase } from './harness';
import { LESSON_STEPS } from '../../src/state/session/lesson';

const RUN = e2eEnabled('lesson');
const LINK = 'backend=wasm&nmax=20&if=10&batch=16&eval=2&log=1&model=convnet&epochs=1&hide=imbalance,optimiser,sampling';

async function serious(page: Page, state: string): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${state}: ${v.id} ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

const stepOf = async (page: Page) => Number(await page.getByTestId('lesson').getAttribute('data-step'));

/** The step's chart: named on the root, outlined, and (once scrolled) in the window. */
async function expectHighlighted(page: Page, step: number): Promise<void> {
  const chart = LESSON_STEPS[step - 1].chart;
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset.lessonChart), POLL).toBe(chart);
  const card = page.getByTestId(`chart-${chart}`);
  expect(await card.evaluate((e) => getComputedStyle(e).outlineStyle), `step ${step}: ${chart} outlined`).toBe('solid');
  await expect
    .poll(
      () =>
        card.evaluate((e) => {
          const r = e.getBoundingClientRect();
          return r.top < window.innerHeight && r.bottom > 0;
        }),
      POLL,
    )
    .toBe(true);
  // the other cards are not outlined
  const others = await page
    .locator('[data-testid^="chart-"].ltc-card')
    .evaluateAll(
      (els, id) =>
        els.filter((e) => e.getAttribute('data-testid') !== `chart-${id}` && getComputedStyle(e).outlineStyle === 'solid').length,
      chart,
    );
  expect(others).toBe(0);
}

/** Presses a lesson button by keyboard. */
async function press(page: Page, testId: string): Promise<void> {
  await page.getByTestId(testId).focus();
  await page.keyboard.press('Enter');
}

async function trainStep(page: Page, step: number): Promise<void> {
  expect(await stepOf(page)).toBe(step);
  expect(await page.getByTestId('lesson-text').textContent()).toMatch(/Press “Train this step”/);
  await expect.poll(() => page.getByTestId('lesson-train').isEnabled(), POLL).toBe(true);
  await press(page, 'lesson-train');
  await expect.poll(() => page.getByTestId('lesson-train').textContent(), { ...POLL, timeout: 120_000 }).toBe('Trained');
  expect(await page.getByTestId('lesson-text').textContent()).toMatch(/^Look at/);
  await expectHighlighted(page, step);
}

async function next(page: Page, to: number): Promise<void> {
  await press(page, 'lesson-next');
  await expect.poll(() => stepOf(page), POLL).toBe(to);
  // focus moves to the step's title (the aria-live text announces it)
  await expect.poll(() => page.evaluate(() => document.activeElement?.id), POLL).toBe('lesson-title');
  await expect.poll(() => page.url(), POLL).toContain(`lesson=${to}`);
}

describe.runIf(RUN)('the Lesson (production build, Chromium)', () => {
  const app = useApp();

  it('runs end to end by keyboard in a classroom link: highlights, Back, reload, presenter mode, axe', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const { page, errors } = await openApp(await context.newPage(), app.url, `${LINK}&lesson=1`);
    const found: string[] = [];
    await expect.poll(() => page.getByTestId('lesson').isVisible(), POLL).toBe(true);
    expect(await stepOf(page)).toBe(1);
    expect(await page.getByTestId('lesson-open').getAttribute('aria-pressed')).toBe('true');
    await expectHighlighted(page, 1);
    found.push(...(await serious(page, 'lesson step 1')));

    await trainStep(page, 1);
    // the link's hidden settings kept their values (1 epoch), and the loss is the step's
    expect(page.url()).toMatch(/[?&]loss=ce(&|$)/);
    expect(page.url()).toMatch(/[?&]epochs=1(&|$)/);
    expect(page.url()).toContain('hide=imbalance,optimiser,sampling');
    await next(page, 2);
    await expectHighlighted(page, 2);
    // Back, then on again
    await press(page, 'lesson-back');
    await expect.poll(() => stepOf(page), POLL).toBe(1);
    await expectHighlighted(page, 1);
    expect(await page.getByTestId('lesson-train').textContent()).toBe('Trained');
    await next(page, 2);
    await trainStep(page, 2);
    expect(page.url()).toMatch(/[?&]loss=kps(&|$)/);
    await next(page, 3);

    // a reload resumes at the same step, with the link's settings
    await page.reload();
    await waitPhase(page, ['ready'], 120_000);
    await expect.poll(() => page.getByTestId('lesson').isVisible(), POLL).toBe(true);
    expect(await stepOf(page)).toBe(3);
    expect(page.url()).toContain('lesson=3');
    expect(page.url()).toContain('hide=imbalance,optimiser,sampling');
    await expectHighlighted(page, 3);
    // a classroom link hides Resume (it would replace every setting): the runs from before the reload are gone, so
    // their steps can be trained again
    expect(await page.getByTestId('resume-banner').count()).toBe(0);
    await press(page, 'lesson-back');
    await expect.poll(() => stepOf(page), POLL).toBe(2);
    expect(await page.getByTestId('lesson-train').textContent()).toBe('Train this step');
    await next(page, 3);
    await trainStep(page, 3);
    await next(page, 4);
    await trainStep(page, 4);

    // presenter mode: the step's chart full window with the lesson's text beside it
    const cloud = page.getByTestId('chart-gcl-cloud');
    await cloud.getByTestId('present-open').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => cloud.getAttribute('data-presenting'), POLL).toBe('true');
    const note = cloud.getByTestId('lesson-present-note');
    expect(await note.isVisible()).toBe(true);
    expect(await note.textContent()).toMatch(/^Lesson 4 \/ 6: GCL stage 1\. Look at the cloud chart/);
    found.push(...(await serious(page, 'presenter mode in the lesson')));
    await page.keyboard.press('Escape');
    await expect.poll(() => cloud.getAttribute('data-presenting'), POLL).toBeNull();

    await next(page, 5);
    await trainStep(page, 5);
    expect(await page.getByTestId('stage').textContent()).toBe('2');
    await next(page, 6);
    await expectHighlighted(page, 6);
    const table = page.getByTestId('lesson-results');
    // the runs trained since the reload are in the table
    const cells = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => Array.from(r.children).map((c) => c.textContent)));
    expect(cells.map((r) => r[0])).toEqual(['CE', 'KPS (+GA)', 'FBL', 'GCL stage 1', 'GCL stage 2 (CBEN)']);
    for (const r of cells.slice(0, 2)) expect(r.slice(1), r[0]!).toEqual(['—', '—']);
    for (const r of cells.slice(2)) expect(r.slice(1), r[0]!).toEqual([expect.stringMatching(/%$/), expect.stringMatching(/%$/)]);
    const text = await page.getByTestId('lesson').textContent();
    expect(text).toMatch(/Over 5 seeds of this lesson/);
    expect(text).toMatch(/What does not always hold/);
    expect(await page.getByTestId('lesson-next').isDisabled()).toBe(true);
    found.push(...(await serious(page, 'lesson summary')));
    // the pinned runs of the lesson are on the charts
    expect((await page.getByTestId('chart-loss').getAttribute('data-runs'))!.split(' ').length).toBe(2);

    // Skip closes it; the URL drops lesson=
    await press(page, 'lesson-close');
    await expect.poll(() => page.getByTestId('lesson').count(), POLL).toBe(0);
    await expect.poll(() => page.url(), POLL).not.toContain('lesson=');
    expect(await page.evaluate(() => document.documentElement.dataset.lessonChart)).toBeUndefined();
    expect(found).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 600_000);

  it('opens from the intro’s last step and from the header button, which closes it again', async () => {
    const { page, errors } = await openApp(app.browser, app.url, LINK, { intro: true });
    expect(await page.getByTestId('lesson').count()).toBe(0);
    await page.getByTestId('intro-next').click();
    await page.getByTestId('intro-next').click();
    await page.getByTestId('intro-lesson').click();
    await expect.poll(() => page.getByTestId('lesson').isVisible(), POLL).toBe(true);
    expect(await page.getByTestId('intro').count()).toBe(0);
    expect(await stepOf(page)).toBe(1);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), POLL).toBe('lesson-title');
    await expect.poll(() => page.url(), POLL).toContain('lesson=1');
    const button = page.getByTestId('lesson-open');
    expect(await button.getAttribute('aria-pressed')).toBe('true');
    await button.click();
    await expect.poll(() => page.getByTestId('lesson').count(), POLL).toBe(0);
    expect(await button.getAttribute('aria-pressed')).toBe('false');
    await button.click();
    await expect.poll(() => page.getByTestId('lesson').isVisible(), POLL).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('390 px: no sideways scroll with the lesson open and after a step; axe clean; hiding the loss hides it', async () => {
    const context = await app.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const { page, errors } = await openApp(await context.newPage(), app.url, `${LINK}&lesson=1`);
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await expect.poll(() => page.getByTestId('lesson').isVisible(), POLL).toBe(true);
    expect(await overflow(), 'lesson open').toBeLessThanOrEqual(0);
    const found = await serious(page, '390 px lesson');
    await trainStep(page, 1);
    expect(await overflow(), 'after a step').toBeLessThanOrEqual(0);
    // the bar stays within the window
    const b = (await page.getByTestId('lesson').boundingBox())!;
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(390);
    expect(found).toEqual([]);

    // a link that hides the loss picker: no Lesson button, no lesson bar
    await page.goto(`${app.url}/?${LINK},loss&lesson=2`);
    await waitPhase(page, ['ready'], 120_000);
    expect(await page.getByTestId('lesson-open').count()).toBe(0);
    expect(await page.getByTestId('lesson').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);
});
