import { describe, expect, it } from 'vitest';
import { decimate, decimateIndices, type XY } from '../../../src/ui/charts/decimate';

const line = (n: number, f: (x: number) => number): XY[] => Array.from({ length: n }, (_, i) => ({ x: i, y: f(i) }));

describe('decimate (LTTB)', () => {
  it('returns a copy when the series is short enough', () => {
    const pts = line(10, (x) => x * x);
    const out = decimate(pts, 10);
    expect(out).toEqual(pts);
    expect(out).not.toBe(pts);
    expect(decimate(pts, 100)).toHaveLength(10);
  });

  it('returns exactly maxPoints, keeps first and last, stays sorted and uses original points', () => {
    const pts = line(10_000, (x) => Math.sin(x / 100) + 0.1 * Math.cos(x));
    const out = decimate(pts, 500);
    expect(out).toHaveLength(500);
    expect(out[0]).toBe(pts[0]);
    expect(out[499]).toBe(pts[9999]);
    for (let i = 1; i < out.length; i++) expect(out[i].x).toBeGreaterThan(out[i - 1].x);
    const set = new Set(pts);
    expect(out.every((p) => set.has(p))).toBe(true);
  });

  it('keeps isolated spikes (what makes LTTB better than striding for a noisy loss)', () => {
    const pts = line(5000, () => 1);
    pts[1234] = { x: 1234, y: 50 };
    pts[3777] = { x: 3777, y: -20 };
    const out = decimate(pts, 100);
    expect(out.some((p) => p.y === 50)).toBe(true);
    expect(out.some((p) => p.y === -20)).toBe(true);
  });

  it('handles tiny budgets and empty input', () => {
    const pts = line(50, (x) => x);
    expect(decimate([], 10)).toEqual([]);
    expect(decimate(pts, 0)).toEqual([]);
    expect(decimate(pts, -3)).toEqual([]);
    expect(decimate(pts, 1)).toEqual([pts[49]]);
    expect(decimate(pts, 2)).toEqual([pts[0], pts[49]]);
    expect(decimate(pts, 3)).toHaveLength(3);
    expect(decimate(pts, Number.NaN)).toEqual([]);
  });

  it('works with accessors on arbitrary objects', () => {
    const pts = Array.from({ length: 1000 }, (_, i) => ({ t: i * 0.01, v: Math.sin(i / 30) }));
    const out = decimate(
      pts,
      50,
      (p) => p.t,
      (p) => p.v,
    );
    expect(out).toHaveLength(50);
    expect(out[0]).toBe(pts[0]);
  });

  it('never picks a non-finite y when a finite one is in the bucket', () => {
    const pts = line(1000, (x) => (x % 7 === 0 ? Number.NaN : Math.sin(x / 10)));
    const out = decimate(pts, 60);
    expect(out.slice(1, -1).every((p) => Number.isFinite(p.y))).toBe(true);
  });

  it('decimateIndices works on typed arrays and a prefix length', () => {
    const xs = Float64Array.from({ length: 2000 }, (_, i) => i);
    const ys = Float64Array.from({ length: 2000 }, (_, i) => (i === 700 ? 9 : 0));
    const idx = decimateIndices(xs, ys, 20, 1000);
    expect(idx).toHaveLength(20);
    expect(idx[0]).toBe(0);
    expect(idx[19]).toBe(999);
    expect([...idx]).toContain(700);
    expect([...decimateIndices(xs, ys, 20, 5)]).toEqual([0, 1, 2, 3, 4]);
    expect(decimateIndices(xs, ys, 20, 0)).toHaveLength(0);
  });
});
