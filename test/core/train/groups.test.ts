import { describe, expect, it } from 'vitest';
import { groupBy, seedGroupKey, summarize, summarizeSeries } from '../../../src/core/train/groups';
import { DEFAULT_CONFIG } from '../../../src/core/train/config';

describe('seed groups', () => {
  it('puts runs that differ only in seed, engine or logging in one group', () => {
    const a = { ...DEFAULT_CONFIG, seed: 1 };
    const b = { ...DEFAULT_CONFIG, seed: 7, engine: 'tfjs' as const, logEvery: 3 };
    const reordered = Object.fromEntries(Object.entries(b).reverse()) as typeof b;
    expect(seedGroupKey(a)).toBe(seedGroupKey(b));
    expect(seedGroupKey(a)).toBe(seedGroupKey(reordered));
    expect(seedGroupKey(a)).not.toBe(seedGroupKey({ ...a, lr: 0.05 }));
    expect(seedGroupKey(a)).not.toBe(seedGroupKey({ ...a, lossParams: { tau: 1 } }));
    expect(seedGroupKey(a)).not.toBe(seedGroupKey({ ...a, stage2: { ...a.stage2, epochs: 3 } }));
  });

  it('summarises with the sample standard deviation', () => {
    const s = summarize([49.8, 50.0, 56.2]);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(52.0, 10);
    // deviations −2.2, −2.0, 4.2: squares 4.84 + 4 + 17.64 = 26.48; / 2 = 13.24
    expect(s.std).toBeCloseTo(Math.sqrt(13.24), 10);
    expect([s.min, s.max]).toEqual([49.8, 56.2]);
    expect(summarize([3]).std).toBe(0);
    expect(summarize([NaN, 2, Infinity, 4]).mean).toBe(3);
    expect(summarize([]).n).toBe(0);
  });

  it('groups in order of first appearance and summarises ragged series per index', () => {
    const g = groupBy(['b1', 'a1', 'b2', 'a2', 'c1'], (x) => x[0]);
    expect(g.map((x) => [x.key, x.items])).toEqual([
      ['b', ['b1', 'b2']],
      ['a', ['a1', 'a2']],
      ['c', ['c1']],
    ]);
    const s = summarizeSeries([[1, 2, 3], [3, 4], [5]]);
    expect(s.map((x) => x.n)).toEqual([3, 2, 1]);
    expect(s.map((x) => x.mean)).toEqual([3, 3, 3]);
    expect(s[0].std).toBe(2);
  });
});
