/** The plain-SVG charts: nice axis scales, one path per series, bounded element counts for 100 classes. */
import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { GclCloudChart, LossAccuracyChart, PerClassAccuracyChart } from '../../../src/ui/charts';
import { niceScale } from '../../../src/ui/charts/FastLineChart';
import { synthRun } from './synthetic';

describe('niceScale', () => {
  it('auto bounds widen to a nice step from 0; fixed bounds stay', () => {
    expect(niceScale(0.4, 17.3, {})).toEqual({ lo: 0, hi: 20, ticks: [0, 5, 10, 15, 20] });
    expect(niceScale(3, 42, { domain: [0, 100] }).ticks).toEqual([0, 25, 50, 75, 100]);
    expect(niceScale(0, 3, { domain: [0, 3], integer: true }).ticks).toEqual([0, 1, 2, 3]);
    expect(niceScale(0, 0.42, { domain: [0, (m) => Math.max(1, Math.ceil(m * 10) / 10)] })).toMatchObject({ lo: 0, hi: 1 });
  });

  it('survives empty and flat data', () => {
    const e = niceScale(Infinity, -Infinity, {});
    expect(e.hi).toBeGreaterThan(e.lo);
    const f = niceScale(0, 0, {});
    expect(f.hi).toBeGreaterThan(f.lo);
    expect(f.ticks.length).toBeGreaterThan(1);
  });
});

describe('plain-SVG charts', () => {
  const base = (runs: ReturnType<typeof synthRun>[]) => ({
    runs,
    counts: runs[0].counts,
    groups: runs[0].groups,
    classNames: runs[0].classNames,
    totalEpochs: 8,
    width: 640,
    height: 280,
  });

  it('loss chart: one path per series however many batches', () => {
    const r = synthRun({ epochs: 6, batchesPerEpoch: 400 });
    const html = renderToString(createElement(LossAccuracyChart, base([r])));
    // loss line, accuracy line, accuracy dots
    expect((html.match(/<path /g) ?? []).length).toBe(3);
    expect(html).toContain('train loss (nats)');
    expect(html).toContain('test accuracy (%)');
  });

  it('100 classes: per-class and GCL charts stay a few dozen elements', () => {
    const r = synthRun({ C: 100, epochs: 2, loss: 'gcl' });
    for (const C of [PerClassAccuracyChart, GclCloudChart]) {
      const html = renderToString(createElement(C, base([r])));
      expect((html.match(/<path /g) ?? []).length).toBeLessThan(12);
      expect((html.match(/<text /g) ?? []).length).toBeLessThan(100); // thinned class labels (GCL: two plots)
    }
  });
});
