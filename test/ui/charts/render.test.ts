/** Server rendering of the panel: every chart container, title, caption and data-points attribute is there. */
import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { CHARTS, ChartsPanel, ConfusionMatrixChart, type ChartsPanelExtraProps, type ChartsPanelProps } from '../../../src/ui/charts';
import { synthRun } from './synthetic';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');

function points(html: string, id: string): number {
  const m = new RegExp(`data-testid="chart-${id}"[^>]*data-points="(\\d+)"`).exec(html);
  if (!m) throw new Error(`chart-${id} not found`);
  return Number(m[1]);
}

function props(
  runs: ReturnType<typeof synthRun>[],
  extra: Partial<ChartsPanelProps & ChartsPanelExtraProps> = {},
): ChartsPanelProps & ChartsPanelExtraProps {
  const r = runs[0];
  return {
    runs,
    counts: r.counts,
    groups: r.groups,
    classNames: r.classNames,
    totalEpochs: 8,
    width: 640,
    height: 280,
    ...extra,
  };
}

describe('ChartsPanel server render', () => {
  it('renders every chart with title, caption and plotted points (CE run)', () => {
    const html = renderToString(createElement(ChartsPanel, props([synthRun({ epochs: 3 })])));
    for (const c of CHARTS) {
      expect(html).toContain(`data-testid="chart-${c.id}"`);
      expect(html).toContain(esc(c.title));
      expect(html).toContain(esc(c.caption));
    }
    expect(html.match(/What to look for:/g)).toHaveLength(CHARTS.length);
    expect(points(html, 'loss')).toBe(3 * 20 + 3);
    expect(points(html, 'per-class')).toBe(10);
    expect(points(html, 'groups')).toBeGreaterThan(0);
    expect(points(html, 'feature-norm')).toBe(3 * 10 * 2);
    expect(points(html, 'confusion')).toBe(100);
    // not GCL / not KPS: placeholders
    expect(points(html, 'gcl-cloud')).toBe(0);
    expect(html).toContain('Train with GCL to see the clouds');
    expect(points(html, 'kps')).toBe(0);
    expect(html).toContain('Train with KPS');
  });

  it('GCL and KPS runs fill their charts; several runs are overlaid', () => {
    const gcl = synthRun({ epochs: 2, loss: 'gcl', id: 'g', label: 'GCL', color: '#CC79A7' });
    const kps = synthRun({ epochs: 2, loss: 'kps', id: 'k', label: 'KPS', color: '#56B4E9' });
    const ce = synthRun({ epochs: 2, id: 'c' });
    const html = renderToString(createElement(ChartsPanel, props([ce, gcl, kps], { gaStartEpoch: 5 })));
    expect(points(html, 'gcl-cloud')).toBe(10 + 10);
    expect(points(html, 'kps')).toBe(10 * 2);
    expect(points(html, 'per-class')).toBe(30);
    expect(html).toContain('Gradient adjustment switches on at epoch 5');
    // several runs: the confusion matrix offers a run picker with the run labels as text
    expect(html).toContain('<option value="g">GCL</option>');
  });

  it('shows the empty state with no data', () => {
    const empty = synthRun({ epochs: 0 });
    const html = renderToString(createElement(ChartsPanel, props([empty])));
    for (const c of CHARTS) expect(points(html, c.id)).toBe(0);
    expect(html).toContain('No data yet');
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

  it('confusion matrix: accessible SVG grid, per-cell titles, hidden table, summary', () => {
    const r = synthRun({ epochs: 1 });
    const html = renderToString(createElement(ConfusionMatrixChart, { ...props([r]), onCellClick: () => {} }));
    expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-label="Confusion matrix of 10 classes for CE/);
    expect(html.match(/<title>/g)?.length).toBe(100);
    expect(html).toContain('true class-0 → predicted class-0: ');
    expect(html).toContain('<table class="ltc-sr-only">');
    expect(html).toContain('Click a cell');
    // 100 classes: no per-cell titles, only non-zero cells, a hidden list instead of the table
    const big = synthRun({ C: 100, epochs: 1 });
    const bigHtml = renderToString(createElement(ConfusionMatrixChart, props([big])));
    expect(bigHtml).not.toContain('<title>');
    // cells merged into one path per colour level: a few dozen elements, not 10 000 rects
    expect((bigHtml.match(/<path /g) ?? []).length).toBeLessThanOrEqual(49);
    expect((bigHtml.match(/<rect /g) ?? []).length).toBeLessThan(120);
    expect(bigHtml).toContain('<ul class="ltc-sr-only">');
    expect(points(bigHtml, 'confusion')).toBe(10_000);
  });

  it('100 classes: feature norms fall back to group means', () => {
    const r = synthRun({ C: 100, epochs: 4 });
    const html = renderToString(createElement(ChartsPanel, props([r], { only: ['feature-norm', 'per-class'] })));
    expect(html).toContain('mean feature norm over the classes of each group');
    expect(points(html, 'per-class')).toBe(100);
    expect(html).not.toContain('chart-loss');
  });
});
