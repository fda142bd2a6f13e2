/**
 * The charts in Chromium on the chart fixture page (test/ui/charts/page: the real ChartsPanel fed with synthetic
 * runs, bundled in production mode): they are recharts charts, draw every run with few elements, mark the GA / DRW
 * switches, show α(t) only for FBL runs, have a keyboard-reachable tooltip and data table, the confusion matrix
 * hands clicked / keyboard-activated cells to its callback, the feature space draws thousands of points, the PNG
 * export puts the legend above the plot, and nothing makes the page scroll sideways at 1,440 px and at 390 px.
 * Part of `npm test`; under CI=true it always runs (a missing Chromium fails it).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildChartsPage } from '../../tools/bench/browser';
import { CHROMIUM, chromiumAvailable, launchChromium } from './browser';
import { ARTIFACTS, POLL, e2eEnabled } from './harness';
import { serveStatic, type StaticServer } from './server';

const RUN = e2eEnabled('charts');

describe.runIf(RUN)('charts on recharts in Chromium (fixture page, production build)', () => {
  let browser: Browser;
  let server: StaticServer;

  beforeAll(async () => {
    if (!chromiumAvailable()) throw new Error(`CI=true but ${CHROMIUM} is missing`);
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await serveStatic(await buildChartsPage());
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(query: string, width = 1440): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/favicon/.test(m.location().url)) errors.push(m.text());
    });
    await page.goto(`${server.url}/?${query}`);
    await page.waitForFunction('window.__charts && window.__charts.ready === true');
    // every chart laid out by recharts (the plots appear after their first layout)
    await expect.poll(() => page.locator('.recharts-surface').count(), POLL).toBeGreaterThan(5);
    return { page, errors };
  }

  const card = (page: Page, id: string) => page.getByTestId(`chart-${id}`);

  it('every chart is a recharts chart; series are single paths; GA / DRW markers; α(t) only for the FBL run', async () => {
    const { page, errors } = await open('scenario=compare');
    for (const id of ['loss', 'per-class', 'groups', 'feature-norm', 'feature-space', 'kps', 'confusion']) {
      const c = card(page, id);
      expect(await c.locator('.recharts-wrapper').count(), id).toBeGreaterThan(0);
      expect(await c.locator('svg.recharts-surface').count(), id).toBeGreaterThan(0);
      expect(await c.locator('.recharts-cartesian-axis').count(), id).toBeGreaterThan(0);
    }
    // four runs: loss lines drawn from their points, accuracy lines from recharts' rows, one path each
    const series = await card(page, 'loss')
      .locator('.ltc-series path[data-series]')
      .evaluateAll((ps) => ps.map((p) => p.getAttribute('data-series')));
    expect(series.sort()).toEqual(['r0acc', 'r0loss', 'r1acc', 'r1loss', 'r2acc', 'r2loss', 'r3acc', 'r3loss']);
    // the legend (recharts' <Legend> content) names every run
    const legend = await card(page, 'loss').locator('.recharts-legend-wrapper .ltc-legend li').allTextContents();
    for (const l of ['CE · ConvNet', 'KPS s=15 GA · ConvNet', 'FBL · ConvNet', 'LDAM-DRW · ConvNet'])
      expect(
        legend.some((x) => x.includes(l)),
        l,
      ).toBe(true);
    // KPS gradient adjustment and LDAM's DRW switch are marked on every time chart
    for (const id of ['loss', 'groups', 'feature-norm']) {
      const marks = await card(page, id)
        .locator('[data-marker]')
        .evaluateAll((gs) => gs.map((g) => g.getAttribute('data-marker')));
      expect(marks, id).toEqual(['GA on', 'DRW on']);
    }
    // FBL (run 2): its α(t) on the right axis and the FBL title; no α for the others
    const fn = card(page, 'feature-norm');
    expect(await fn.locator('h3').textContent()).toMatch(/^Feature norm per class — FBL/);
    expect(await fn.locator('path[data-series^="a"]').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-series')))).toEqual(['a2']);
    expect(await fn.locator('.recharts-yAxis').count()).toBe(2);
    // per-class bars: one path per run colour, not one element per bar
    expect(await card(page, 'per-class').locator('.ltc-bars path').count()).toBe(4);
    expect(errors).toEqual([]);

    // one GCL run: no FBL title, no α(t), no right axis on the feature-norm chart, no markers
    const demo = await open('scenario=demo');
    const fn1 = card(demo.page, 'feature-norm');
    expect(await fn1.locator('h3').textContent()).toBe('Feature norm per class over epochs');
    expect(await fn1.locator('path[data-series^="a"]').count()).toBe(0);
    expect(await fn1.locator('.recharts-yAxis').count()).toBe(1);
    expect(await fn1.locator('[data-marker]').count()).toBe(0);
    await page.close();
    await demo.page.close();
  }, 120_000);

  it('keyboard: Tab to a chart and the arrow keys move its tooltip; "Show data" opens a table; summaries for screen readers', async () => {
    const { page, errors } = await open('scenario=demo');
    const surface = card(page, 'groups').locator('svg.recharts-surface');
    expect(await surface.getAttribute('role')).toBe('application');
    expect(await surface.getAttribute('tabindex')).toBe('0');
    await surface.focus();
    await page.keyboard.press('ArrowRight');
    const tip = card(page, 'groups').locator('.recharts-tooltip-wrapper .ltc-tooltip');
    await expect.poll(() => tip.count(), POLL).toBe(1);
    const text = (await tip.textContent()) ?? '';
    expect(text).toMatch(/^epoch \d.*Many \(> 100 images\): \d+\.\d %/);
    const at = Number(/^epoch (\d+)/.exec(text)![1]);
    await page.keyboard.press(at < 6 ? 'ArrowRight' : 'ArrowLeft');
    await expect.poll(async () => (await tip.textContent()) ?? '', POLL).toMatch(new RegExp(`^epoch ${at < 6 ? at + 1 : at - 1}M`));

    // the summary is the card's description; the table opens with the button (keyboard: Tab to it, Enter)
    const loss = card(page, 'loss');
    const summaryId = await loss.getAttribute('aria-describedby');
    const summary = page.locator(`[id="${summaryId}"]`);
    expect(await summary.textContent()).toMatch(/^Epoch 6 of 6: test accuracy \d+\.\d %, training loss [\d.]+\.$/);
    expect(await summary.evaluate((e) => e.getBoundingClientRect().width)).toBeLessThanOrEqual(1); // visually hidden
    const button = loss.getByRole('button', { name: 'Show data' });
    await button.focus();
    await page.keyboard.press('Enter');
    const region = loss.getByRole('region', { name: /Training loss and test accuracy: data/ });
    await expect.poll(() => region.count(), POLL).toBe(1);
    expect(await loss.getByRole('button', { name: 'Hide data' }).getAttribute('aria-expanded')).toBe('true');
    expect(await region.getAttribute('tabindex')).toBe('0');
    const rows = await region.locator('tbody tr').count();
    expect(rows).toBe(6);
    expect(await region.locator('thead th').allTextContents()).toEqual([
      'Run',
      'Stage',
      'Epoch',
      'Training loss',
      'Test loss',
      'Test accuracy',
    ]);
    expect(await summary.evaluate((e) => e.getBoundingClientRect().width)).toBeGreaterThan(100); // shown with the data
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('confusion matrix: a click and Enter on a focused cell reach the drill-down callback; 100 classes: the matrix is the Tab stop', async () => {
    const { page, errors } = await open('scenario=demo');
    const cm = card(page, 'confusion');
    // the charts mount one per idle task (mount-queue.ts): wait for the matrix, the last of them
    await expect.poll(() => cm.locator('rect.ltc-cm-cell').count(), POLL).toBe(100);
    await expect.poll(() => cm.locator('.ltc-cm-cells rect title').count(), POLL).toBe(100);
    // class names on both axes (predicted on top, true on the left), most training images first
    expect(await cm.locator('.recharts-xAxis-tick-labels text').allTextContents()).toEqual(
      await cm.locator('.recharts-yAxis-tick-labels text').allTextContents(),
    );
    expect((await cm.locator('.recharts-xAxis-tick-labels text').allTextContents())[0]).toBe('T-shirt/top');
    const cell = cm.locator('rect.ltc-cm-cell[data-r="2"][data-c="5"]');
    await cell.scrollIntoViewIfNeeded();
    const box = (await cell.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const clicked = () =>
      page.evaluate(() => (window as unknown as { __charts: { clicked: { t: number; p: number } | null } }).__charts.clicked);
    const t = Number(await cell.getAttribute('data-true'));
    const p = Number(await cell.getAttribute('data-pred'));
    await expect.poll(clicked, POLL).toMatchObject({ t, p });
    // focus is on the clicked cell; the arrow keys move, Enter activates
    expect(
      await page.evaluate(() => document.activeElement?.getAttribute('data-r') + ',' + document.activeElement?.getAttribute('data-c')),
    ).toBe('2,5');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    const next = cm.locator('rect.ltc-cm-cell[data-r="3"][data-c="4"]');
    await expect
      .poll(clicked, POLL)
      .toMatchObject({ t: Number(await next.getAttribute('data-true')), p: Number(await next.getAttribute('data-pred')) });
    // the hovered cell's tooltip
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => cm.locator('.ltc-cm-tip').textContent(), POLL).toMatch(/^true .* → predicted .*share of true class/);
    expect(errors).toEqual([]);
    await page.close();

    const big = await open('scenario=cifar100');
    const wrap = card(big.page, 'confusion').locator('.ltc-cm-wrap');
    expect(await wrap.getAttribute('tabindex')).toBe('0');
    expect(await card(big.page, 'confusion').locator('rect.ltc-cm-cell').count()).toBe(0);
    // 10,000 cells drawn as a few dozen paths, not one element each
    expect(await card(big.page, 'confusion').locator('.ltc-cm-cells path').count()).toBeLessThanOrEqual(49);
    await wrap.focus();
    await big.page.keyboard.press('ArrowRight');
    await big.page.keyboard.press('Enter');
    await expect
      .poll(
        () => big.page.evaluate(() => (window as unknown as { __charts: { clicked: { t: number; p: number } | null } }).__charts.clicked),
        POLL,
      )
      .toMatchObject({ t: 0, p: 1 });
    expect(await card(big.page, 'confusion').locator('[aria-live="polite"]').textContent()).toMatch(
      /^true cifar-class-0 → predicted cifar-class-1: /,
    );
    expect(big.errors).toEqual([]);
    await big.page.close();
  }, 120_000);

  it('9 runs × 100 classes: thousands of feature-space points on a canvas, per-class charts stay a few dozen elements', async () => {
    const { page, errors } = await open('scenario=cifar100');
    const fs = card(page, 'feature-space');
    expect(Number(await fs.getAttribute('data-points'))).toBe(5000);
    // the dots are pixels on the canvas inside recharts' plot area
    const lit = await fs.locator('foreignObject canvas').evaluate((c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n / (cv.width * cv.height);
    });
    expect(lit).toBeGreaterThan(0.02);
    expect(await fs.locator('.ltc-boxes path').count()).toBe(3); // the per-class cosine boxes of a cosine head
    // the run picker (not overlays) switches to a linear-head run: no cosine boxes
    await fs.locator('select').selectOption({ label: 'FBL · ResNet-32' });
    await expect.poll(() => fs.locator('.ltc-boxes path').count(), POLL).toBe(0);
    expect(await fs.getAttribute('data-runs')).toBe('r6');
    for (const id of ['per-class', 'gcl-cloud', 'kps']) {
      const paths = await card(page, id).locator('.ltc-plot path').count();
      expect(paths, id).toBeLessThan(40);
      expect(await card(page, id).locator('.recharts-xAxis text').count(), id).toBeLessThanOrEqual(2 * 36); // thinned class labels
    }
    // the loss chart's nine loss lines: one path each (decimated), nine accuracy lines
    expect(await card(page, 'loss').locator('.ltc-series path[data-series$="loss"]').count()).toBe(9);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('loss chart: the first batches above the axis are marked at its top edge; the log-scale toggle redraws the axis', async () => {
    const { page, errors } = await open('scenario=cifar100');
    const loss = card(page, 'loss');
    const marks = loss.locator('.ltc-series path[data-clipped]');
    expect(await marks.count()).toBeGreaterThan(0);
    const n = (await marks.evaluateAll((ps) => ps.map((p) => Number(p.getAttribute('data-clipped'))))).reduce((a, b) => a + b, 0);
    const legend = await loss.locator('.ltc-legend li').allTextContents();
    expect(legend.some((l) => l.startsWith(`${n} loss point`))).toBe(true);
    const chart = loss.locator('.ltc-chart').first();
    const ticks = async () => ((await chart.getAttribute('data-y-ticks')) ?? '').split(' ').map(Number);
    expect(await chart.getAttribute('data-y-scale')).toBe('linear');
    expect((await ticks())[0]).toBe(0);
    await loss.getByRole('checkbox', { name: 'Log-scale loss axis' }).check();
    await expect.poll(() => chart.getAttribute('data-y-scale'), POLL).toBe('log');
    const logTicks = await ticks();
    expect(logTicks.every((v) => v > 0)).toBe(true);
    expect(logTicks.length).toBeGreaterThan(1);
    expect(logTicks.some((v) => Number.isInteger(Math.log10(v)))).toBe(true);
    const ds = await loss.locator('.ltc-series path[data-series$="loss"]').evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''));
    expect(ds).toHaveLength(9);
    for (const d of ds) expect(d).not.toContain('NaN');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('feature norms: group means with min–max bands by default, a line per class on demand', async () => {
    const { page, errors } = await open('scenario=demo');
    const fn = card(page, 'feature-norm');
    // one run, train and test: a band per group and side under the group means
    const bands = await fn.locator('path[data-band]').count();
    expect(bands).toBeGreaterThan(0);
    expect(await fn.locator('path[data-series]').count()).toBe(bands);
    await fn.getByRole('checkbox', { name: 'One line per class' }).check();
    await expect.poll(() => fn.locator('path[data-band]').count(), POLL).toBe(0);
    expect(await fn.locator('path[data-series]').count()).toBe(2 * 10); // 10 classes, train and test
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('PNG export of the loss chart with nine runs: every legend row above the plot', async () => {
    const { page, errors } = await open('scenario=cifar100');
    const png = (await page.evaluate('window.__charts.png("loss")')) as {
      width: number;
      height: number;
      legend: Array<{ y: number; h: number; label: string }>;
      plotTop: number | null;
      kinds: string[];
      bytes: number[];
    };
    // a colour per run, the two line styles once, the count of the first batches' loss values above the axis
    expect(png.legend).toHaveLength(9 + 2 + 1);
    expect(png.legend[png.legend.length - 1].label).toMatch(/^\d+ loss points? above [\d.]+ drawn at the top edge$/);
    expect(png.plotTop).not.toBeNull();
    const rows = new Set(png.legend.map((l) => Math.round(l.y)));
    expect(rows.size).toBeGreaterThan(2); // several rows: the case that overlapped
    for (const l of png.legend) expect(l.y + l.h, l.label).toBeLessThanOrEqual(png.plotTop! + 0.5);
    const bytes = Buffer.from(png.bytes);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.readUInt32BE(16)).toBe(png.width * 2);
    expect(bytes.readUInt32BE(20)).toBe(Math.round(png.height * 2));
    writeFileSync(join(ARTIFACTS, 'chart-loss-9-runs.png'), bytes);
    // the feature space: its canvas is part of the picture
    const fsPng = (await page.evaluate('window.__charts.png("feature-space")')) as { kinds: string[]; bytes: number[] };
    expect(fsPng.kinds).toContain('canvas');
    writeFileSync(join(ARTIFACTS, 'chart-feature-space.png'), Buffer.from(fsPng.bytes));
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('no sideways scroll at 1,440 px and at 390 px, with every data table open', async () => {
    for (const width of [1440, 390]) {
      for (const scenario of ['demo', 'cifar100']) {
        const { page, errors } = await open(`scenario=${scenario}`, width);
        // open every table (the keyboard path to a button is checked above)
        await page.locator('.ltc-data-toggle').evaluateAll((bs) => bs.forEach((b) => (b as HTMLButtonElement).click()));
        await expect.poll(() => page.locator('.ltc-data table').count(), POLL).toBe(await page.locator('.ltc-data-toggle').count());
        const { sw, iw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: innerWidth }));
        expect(sw, `${scenario} at ${width} px`).toBeLessThanOrEqual(iw);
        if (width === 390 && scenario === 'demo') await page.screenshot({ path: join(ARTIFACTS, 'charts-390.png'), fullPage: true });
        expect(errors).toEqual([]);
        await page.close();
      }
    }
  }, 180_000);
});
