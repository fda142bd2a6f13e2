/**
 * Server rendering of the panel: every chart card with its title, caption, data-points / data-runs hooks, text
 * alternative (summary sentence and "Show data") and a recharts chart where there is data. recharts draws its
 * SVG only in the browser (after layout): what is drawn is checked in Chromium (test/e2e/charts.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import {
  CHARTS,
  ChartsPanel,
  ConfusionMatrixChart,
  FBL_TITLE,
  FeatureNormChart,
  FeatureSpaceChart,
  type ChartsPanelExtraProps,
  type ChartsPanelProps,
} from '../../../src/ui/charts';
import { synthRun } from './synthetic';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');

function card(html: string, id: string): string {
  const parts = html.split('data-testid="chart-').slice(1);
  const p = parts.find((x) => x.startsWith(`${id}"`));
  if (!p) throw new Error(`chart-${id} not found`);
  return p;
}

function points(html: string, id: string): number {
  const m = /^[^"]*"[^>]*data-points="(\d+)"/.exec(card(html, id));
  if (!m) throw new Error(`chart-${id}: no data-points`);
  return Number(m[1]);
}

const runsOf = (html: string, id: string) => (/^[^>]*data-runs="([^"]*)"/.exec(card(html, id))?.[1] ?? '').split(' ').filter(Boolean);
const summaryOf = (html: string, id: string) => {
  const m = /<p id="[^"]*" class="ltc-summary ltc-sr-only">([^<]*)<\/p>/.exec(card(html, id));
  return m ? m[1].replace(/&#x27;/g, "'").replace(/&amp;/g, '&') : null;
};

function props(
  runs: ReturnType<typeof synthRun>[],
  extra: Partial<ChartsPanelProps & ChartsPanelExtraProps> = {},
): ChartsPanelProps & ChartsPanelExtraProps {
  const r = runs[0];
  return { runs, counts: r.counts, groups: r.groups, classNames: r.classNames, totalEpochs: 8, width: 640, height: 280, ...extra };
}

describe('ChartsPanel server render', () => {
  it('renders every chart with title, caption, points, a summary, "Show data" and its plot (CE run)', () => {
    const html = renderToString(createElement(ChartsPanel, props([synthRun({ epochs: 3, featureSpace: true })])));
    for (const c of CHARTS) {
      expect(html).toContain(`data-testid="chart-${c.id}"`);
      expect(html).toContain(esc(c.caption));
    }
    expect(html.match(/What to look for:/g)).toHaveLength(CHARTS.length);
    for (const c of CHARTS.filter((x) => !['gcl-cloud', 'kps'].includes(x.id))) {
      expect(card(html, c.id), c.id).toContain(esc(c.title));
      expect(card(html, c.id), c.id).toContain('<div class="ltc-plot">'); // recharts mounts it in the browser
      expect(card(html, c.id), c.id).toMatch(/<button type="button" class="ltc-data-toggle" aria-expanded="false">Show data<\/button>/);
      expect(summaryOf(html, c.id), c.id).toBeTruthy();
    }
    expect(points(html, 'loss')).toBe(3 * 20 + 3);
    expect(points(html, 'per-class')).toBe(10);
    expect(points(html, 'groups')).toBeGreaterThan(0);
    // group means by default (this run has many and medium classes), train and test
    expect(points(html, 'feature-norm')).toBe(3 * 2 * 2);
    expect(card(html, 'feature-norm')).toContain('One line per class');
    for (const m of ['accuracy', 'precision', 'recall', 'F1'])
      expect(card(html, 'per-class')).toContain(`value="${m === 'F1' ? 'f1' : m}"`);
    expect(points(html, 'feature-space')).toBe(500);
    expect(points(html, 'confusion')).toBe(100);
    // not GCL / not KPS: placeholders, no chart, no data button
    expect(points(html, 'gcl-cloud')).toBe(0);
    expect(html).toContain('Train with GCL to see the clouds');
    expect(points(html, 'kps')).toBe(0);
    expect(html).toContain('Train with KPS');
    expect(card(html, 'kps')).toContain('<div class="ltc-plot ltc-plot-idle" aria-hidden="true" inert="">'); // mounted, hidden
    expect(card(html, 'kps')).not.toContain('Show data');
  });

  it('summary sentences name the latest values', () => {
    const r = synthRun({ epochs: 3 });
    const html = renderToString(createElement(ChartsPanel, props([r])));
    const e = r.epochs[2];
    expect(summaryOf(html, 'loss')).toBe(
      `Epoch 3 of 3: test accuracy ${(e.testAccuracy! * 100).toFixed(1)} %, training loss ${Number(e.trainLoss.toPrecision(3))}.`,
    );
    expect(summaryOf(html, 'groups')).toMatch(/^Epoch 3 of 3: test accuracy many \d+\.\d %, medium \d+\.\d %\.$/); // no class has < 20 images
    expect(summaryOf(html, 'per-class')).toContain(
      `most frequent class class-0 (${r.counts[0]} images) ${(e.perClassAccuracy[0]! * 100).toFixed(1)} %`,
    );
    expect(summaryOf(html, 'confusion')).toMatch(
      /^Confusion matrix of 10 classes for CE, epoch 3 of 3, .*Mean per-class accuracy \(diagonal\) \d+\.\d %/,
    );
    expect(summaryOf(html, 'feature-norm')).toMatch(/^Epoch 3 of 3: mean test feature norm many [\d.]+, medium [\d.]+\.$/);
  });

  it('GCL and KPS runs fill their charts; several runs are overlaid and named in the summaries', () => {
    const gcl = synthRun({ epochs: 2, loss: 'gcl', id: 'g', label: 'GCL', color: '#CC79A7' });
    const kps = synthRun({ epochs: 2, loss: 'kps', id: 'k', label: 'KPS', color: '#56B4E9' });
    const ce = synthRun({ epochs: 2, id: 'c' });
    const html = renderToString(createElement(ChartsPanel, props([ce, gcl, kps], { gaStartEpoch: 5 })));
    expect(points(html, 'gcl-cloud')).toBe(10 + 10);
    expect(points(html, 'kps')).toBe(10 * 2);
    expect(points(html, 'per-class')).toBe(30);
    expect(runsOf(html, 'per-class')).toEqual(['c', 'g', 'k']);
    expect(runsOf(html, 'gcl-cloud')).toEqual(['g']);
    expect(runsOf(html, 'kps')).toEqual(['k']);
    expect(html).toContain('Gradient adjustment switches on at epoch 5');
    expect(summaryOf(html, 'loss')).toMatch(/^CE, epoch 2 of 2: .*\. GCL, epoch 2 of 2: .*\. KPS, epoch 2 of 2: /);
    // several runs: the confusion matrix offers a run picker with the run labels as text
    expect(html).toContain('<option value="g">GCL</option>');
  });

  it('shows the empty state with no data', () => {
    const empty = synthRun({ epochs: 0 });
    const html = renderToString(createElement(ChartsPanel, props([empty])));
    for (const c of CHARTS) expect(points(html, c.id)).toBe(0);
    expect(html).toContain('No data yet');
    expect(html).not.toContain('Show data');
    const none = renderToString(createElement(ChartsPanel, { ...props([empty]), runs: [] }));
    for (const c of CHARTS) expect(points(none, c.id)).toBe(0);
  });

  it('never renders class names or run labels as markup', () => {
    const r = synthRun({ epochs: 2, label: '<img src=x onerror=alert(1)>' });
    r.classNames[0] = '<script>alert(1)</script>';
    const html = renderToString(createElement(ChartsPanel, props([r, { ...r, id: 'b' }])));
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('100 classes: feature norms fall back to group means; the confusion matrix has no per-cell buttons', () => {
    const r = synthRun({ C: 100, epochs: 4 });
    const html = renderToString(createElement(ChartsPanel, props([r], { only: ['feature-norm', 'per-class'] })));
    expect(html).toContain('mean feature norm over the classes of each group');
    expect(points(html, 'per-class')).toBe(100);
    expect(html).not.toContain('chart-loss');
    const cm = renderToString(createElement(ConfusionMatrixChart, { ...props([r]), onCellClick: () => {} }));
    expect(points(cm, 'confusion')).toBe(10_000);
    expect(cm).not.toContain('role="button"');
  });
});

describe('FBL on the feature-norm chart', () => {
  it('α(t) and the FBL title only when an FBL run is drawn', () => {
    const ce = synthRun({ epochs: 3, id: 'c' });
    const fbl = synthRun({ epochs: 5, loss: 'fbl', id: 'f', label: 'FBL' });
    const plain = renderToString(createElement(FeatureNormChart, props([ce])));
    expect(plain).toContain(esc(CHARTS.find((c) => c.id === 'feature-norm')!.title));
    expect(plain).not.toContain(esc(FBL_TITLE));
    expect(summaryOf(plain, 'feature-norm')).not.toContain('α(t)');
    const both = renderToString(createElement(FeatureNormChart, props([ce, fbl])));
    expect(both).toContain(esc(FBL_TITLE));
    const [first, second] = summaryOf(both, 'feature-norm')!.split('. ');
    expect(first).toMatch(/^CE, epoch 3 of 3: mean test feature norm many [\d.]+, medium [\d.]+$/);
    expect(second).toMatch(/^FBL, epoch 5 of 5: .*; FBL curriculum α\(t\) [\d.]+\.$/);
  });
});

describe('feature space card', () => {
  it('no feature space yet: an empty state that says why; a cosine head adds the per-class cosine summary', () => {
    const none = renderToString(createElement(FeatureSpaceChart, props([synthRun({ epochs: 2 })])));
    expect(points(none, 'feature-space')).toBe(0);
    expect(none).toContain('computed from the test features after each epoch');
    const cos = synthRun({ epochs: 2, featureSpace: 'cosine', label: 'KPS' });
    const html = renderToString(createElement(FeatureSpaceChart, props([cos, synthRun({ epochs: 2, id: 'b', featureSpace: true })])));
    expect(runsOf(html, 'feature-space')).toEqual(['b']); // the newest run by default
    expect(html).toContain('<option value="run-1">KPS</option>');
    const one = renderToString(createElement(FeatureSpaceChart, props([cos])));
    expect(summaryOf(one, 'feature-space')).toMatch(
      /^Feature space of KPS, epoch 2 of 2: 500 test images projected on their two principal components, which explain \d+\.\d % and \d+\.\d % of the variance\. Mean feature norm [\d.]+ for the most frequent class \(class-0\) and [\d.]+ for the rarest \(class-9\)\. Median cosine to the own class weight: [\d.]+ and [\d.]+\.$/,
    );
  });
});

describe('loss chart', () => {
  it('a 100× first batch is clipped and counted; stage 2 gets its own pane; a log-scale toggle', () => {
    const r = synthRun({ epochs: 3 });
    const spiked = { ...r, batches: r.batches.map((b, i) => (i === 0 ? { ...b, loss: b.loss * 100 } : b)) };
    const html = renderToString(createElement(ChartsPanel, props([spiked], { only: ['loss'] })));
    expect(summaryOf(html, 'loss')).toMatch(/\. 1 loss point above [\d.]+ drawn at the top edge\.$/);
    expect(card(html, 'loss')).toContain('Log-scale loss axis');
    expect(card(html, 'loss')).not.toContain('loss-stage2');
    const plain = renderToString(createElement(ChartsPanel, props([r], { only: ['loss'] })));
    expect(summaryOf(plain, 'loss')).not.toContain('top edge');

    const s2 = r.batches.map((b) => ({ ...b, stage: 2 as const, loss: b.loss / 50 }));
    const two = { ...r, batches: [...r.batches, ...s2], stage1Epochs: 3 };
    const html2 = renderToString(createElement(ChartsPanel, props([two], { only: ['loss'], totalEpochs: 3 })));
    expect(card(html2, 'loss')).toContain('data-testid="loss-stage2"');
    expect(points(html2, 'loss')).toBe(2 * 3 * 20 + 3);
  });
});
