/** Axis scales handed to recharts (explicit domains and ticks) and the JavaScript dot rasteriser of the feature space. */
import { describe, expect, it } from 'vitest';
import { extent, logScale, niceScale } from '../../../src/ui/charts/scale';
import { dotRaster, drawDot, rgb01, toRgba8 } from '../../../src/ui/charts/raster';
import { legendHeight } from '../../../src/ui/charts/ChartCard';
import { layoutFor } from '../../../src/ui/charts/ConfusionMatrixChart';

describe('niceScale', () => {
  it('auto bounds widen to a nice step from 0; fixed bounds stay', () => {
    expect(niceScale(0.4, 17.3, {})).toEqual({ lo: 0, hi: 20, ticks: [0, 5, 10, 15, 20] });
    expect(niceScale(3, 42, { domain: [0, 100] }).ticks).toEqual([0, 25, 50, 75, 100]);
    expect(niceScale(0, 3, { domain: [0, 3], integer: true }).ticks).toEqual([0, 1, 2, 3]);
    expect(niceScale(0, 0.42, { domain: [0, (m) => Math.max(1, Math.ceil(m * 10) / 10)] })).toMatchObject({ lo: 0, hi: 1 });
    expect(niceScale(-3.2, 4.1, { domain: ['auto', 'auto'] })).toMatchObject({ lo: -4, hi: 6 });
  });

  it('survives empty and flat data', () => {
    const e = niceScale(Infinity, -Infinity, {});
    expect(e.hi).toBeGreaterThan(e.lo);
    const f = niceScale(0, 0, {});
    expect(f.hi).toBeGreaterThan(f.lo);
    expect(f.ticks.length).toBeGreaterThan(1);
    expect(extent([3, null, undefined, NaN, -1, 2])).toEqual([-1, 3]);
    expect(extent([])).toEqual([Infinity, -Infinity]);
  });
});

describe('dot raster', () => {
  it('a dot puts about π r² of opacity where it is, anti-aliased at the edge, nothing elsewhere', () => {
    const R = dotRaster(40, 30);
    drawDot(R, 20, 15, 5, rgb01('#ff8000'), 1);
    let mass = 0;
    for (let o = 3; o < R.acc.length; o += 4) mass += R.acc[o];
    expect(mass).toBeGreaterThan(Math.PI * 25 * 0.95);
    expect(mass).toBeLessThan(Math.PI * 25 * 1.1);
    const rgba = toRgba8(R);
    const at = (x: number, y: number) => Array.from(rgba.subarray((y * 40 + x) * 4, (y * 40 + x) * 4 + 4));
    expect(at(20, 15)).toEqual([255, 128, 0, 255]);
    expect(at(0, 0)).toEqual([0, 0, 0, 0]);
    const edge = at(23, 18)[3]; // centre 4.95 px from the dot centre: partly covered
    expect(edge).toBeGreaterThan(0);
    expect(edge).toBeLessThan(255);
  });

  it('source-over: a translucent dot over another mixes the colours; the buffer is cleared for the next raster', () => {
    const R = dotRaster(10, 10);
    drawDot(R, 5, 5, 3, rgb01('#0000ff'), 1);
    drawDot(R, 5, 5, 3, rgb01('#ff0000'), 0.5);
    const px = Array.from(toRgba8(R).subarray((5 * 10 + 5) * 4, (5 * 10 + 5) * 4 + 4));
    expect(px).toEqual([128, 0, 128, 255]);
    const again = dotRaster(10, 10);
    expect(again.acc.every((v) => v === 0)).toBe(true);
    // a dot off the raster is clipped, not an error
    drawDot(again, -50, 200, 4, [1, 1, 1], 1);
    expect(again.acc.every((v) => v === 0)).toBe(true);
  });
});

describe('layout helpers', () => {
  it('legend height grows with the rows the items wrap into', () => {
    const items = Array.from({ length: 18 }, (_, i) => ({ label: `run ${i}: train loss (per batch)`, color: '#000' }));
    expect(legendHeight(undefined, 600)).toBe(0);
    expect(legendHeight(items.slice(0, 1), 600)).toBe(30);
    expect(legendHeight(items, 600)).toBeGreaterThan(legendHeight(items, 1200));
    expect(legendHeight(items, 600)).toBe(9 * 22 + 8);
  });

  it('confusion matrix: square cells between 2 and 44 px that fit the width', () => {
    const ten = layoutFor(10, 620);
    expect(ten.cell).toBe(44);
    expect(ten.w).toBeLessThanOrEqual(620);
    const hundred = layoutFor(100, 620);
    expect(hundred.w).toBeLessThanOrEqual(620);
    expect(hundred.cell).toBeGreaterThan(4);
    expect(hundred.labelEvery).toBeGreaterThan(1);
    const phone = layoutFor(100, 340);
    expect(phone.cell).toBeGreaterThanOrEqual(2);
    expect(phone.h).toBe(Math.ceil(phone.y0 + 100 * phone.cell + 86));
  });
});

describe('logScale', () => {
  it('powers of ten over several decades; 1-2-5 ticks over a short span; a fixed top stays', () => {
    expect(logScale(0.03, 40)).toEqual({ lo: 0.01, hi: 50, ticks: [0.01, 0.1, 1, 10] });
    expect(logScale(0.3, 2.6)).toEqual({ lo: 0.1, hi: 5, ticks: [0.1, 0.2, 0.5, 1, 2, 5] });
    expect(logScale(0.3, 2.6, 2).hi).toBe(2);
    const e = logScale(NaN, NaN);
    expect(e.hi).toBeGreaterThan(e.lo);
    expect(e.lo).toBeGreaterThan(0);
  });
});
