import { describe, expect, it } from 'vitest';
import {
  formatSeeds,
  groupBy,
  meanRecord,
  parseSeeds,
  seedGroupKey,
  summarize,
  summarizeFields,
  summarizeSeries,
} from '../../../src/core/train/groups';
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
    const f = summarizeFields([{ a: 1, b: null }, { a: 3, b: 4 }, { a: 5 }], ['a', 'b']);
    expect([f.a.n, f.a.mean, f.a.std]).toEqual([3, 3, 2]);
    expect([f.b.n, f.b.mean, f.b.std]).toEqual([1, 4, 0]);
  });

  it('reads seeds as a count from the run’s seed or as a list, and writes them back the same way', () => {
    expect(parseSeeds('3', 1)).toEqual({ ok: true, seeds: [1, 2, 3] });
    expect(parseSeeds('1', 42)).toEqual({ ok: true, seeds: [42] });
    expect(parseSeeds(' 7, 1 ,9', 1)).toEqual({ ok: true, seeds: [7, 1, 9] });
    for (const [bad, why] of [
      ['0', /count of seeds is 1–10/],
      ['11', /count of seeds is 1–10/],
      ['1,1', /seed 1 is given twice/],
      ['1,-2', /"-2" is not a seed/],
      ['1,2.5', /"2.5" is not a seed/],
      ['abc', /neither a count/],
      ['0,1,2,3,4,5,6,7,8,9,10', /at most 10 seeds/],
    ] as const) {
      const r = parseSeeds(bad, 1);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.why).toMatch(why);
    }
    expect(parseSeeds('3', 2 ** 32 - 2).ok).toBe(false);
    expect(formatSeeds([4, 5, 6], 4)).toBe('3');
    expect(formatSeeds([4, 6], 4)).toBe('4,6');
  });

  it('averages records of one shape: numbers where finite, arrays per element, the rest from the first', () => {
    const a = { stage: 1, acc: 0.5, per: [0.2, 0.4], g: { many: 0.9, few: null as number | null }, name: 'a', loss: NaN };
    const b = { stage: 1, acc: 0.7, per: [0.4, 0.8], g: { many: 0.7, few: 0.3 }, name: 'b', loss: 2 };
    const m = meanRecord([a, b]);
    expect(m.stage).toBe(1);
    expect(m.acc).toBeCloseTo(0.6, 12);
    expect(m.per[0]).toBeCloseTo(0.3, 12);
    expect(m.per[1]).toBeCloseTo(0.6, 12);
    expect(m.g.many).toBeCloseTo(0.8, 12);
    expect(m.g.few).toBe(0.3);
    expect(m.name).toBe('a');
    expect(m.loss).toBe(2);
    expect(meanRecord([a])).toBe(a);
    // the records are not changed
    expect(a.acc).toBe(0.5);
  });
});
