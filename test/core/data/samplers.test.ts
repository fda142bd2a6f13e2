import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cbenWeights, createSampler } from '../../../src/core/data/samplers';
import { Rng } from '../../../src/core/rng';
import type { SamplerKind } from '../../../src/core/data/types';

const golden = JSON.parse(readFileSync(new URL('../../fixtures/golden/losses.json', import.meta.url), 'utf8'));
const cases = golden.cases as { name: string; counts: number[]; perClass: Record<string, number[]> }[];

function labelsFor(counts: number[], seed = 1): Uint16Array {
  const l: number[] = [];
  counts.forEach((n, c) => {
    for (let i = 0; i < n; i++) l.push(c);
  });
  return Uint16Array.from(new Rng(seed).shuffle(l));
}

describe('CBEN analytic weights', () => {
  it('has golden cases', () => expect(cases.length).toBeGreaterThanOrEqual(3));
  for (const c of cases) {
    it(`matches golden cbenClassProb and cbenPerSampleWeight for ${c.name}`, () => {
      const w = cbenWeights(c.counts);
      c.perClass.cbenClassProb.forEach((p, i) => expect(Math.abs(w.classProb[i] - p)).toBeLessThan(1e-9));
      c.perClass.cbenPerSampleWeight.forEach((p, i) => expect(Math.abs(w.perSampleWeight[i] - p) / p).toBeLessThan(1e-9));
      const s = createSampler('cben', labelsFor(c.counts), c.counts, new Rng(1));
      expect(s.classProbabilities()).toEqual(w.classProb);
      expect(w.classProb.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    });
  }

  it('equal counts give δ = 0 and uniform class probabilities (no NaN); empty classes get 0', () => {
    const w = cbenWeights([10, 10, 10]);
    expect(w.delta).toEqual([0, 0, 0]);
    w.classProb.forEach((p) => expect(p).toBeCloseTo(1 / 3, 14));
    const z = cbenWeights([100, 0, 10]);
    expect(z.classProb[1]).toBe(0);
    expect(z.classProb.every(Number.isFinite)).toBe(true);
    expect(z.delta).toEqual([0, 0, 1]);
    expect(() => cbenWeights([0, 0])).toThrow(/every class count is 0/);
  });
});

describe('samplers', () => {
  const kinds: SamplerKind[] = ['instance', 'classBalanced', 'cben'];
  for (const c of cases) {
    for (const kind of kinds) {
      it(`${kind}: empirical class frequencies match the analytic ones (${c.name})`, () => {
        const labels = labelsFor(c.counts);
        const N = labels.length;
        const s = createSampler(kind, labels, c.counts, new Rng(123));
        const probs = s.classProbabilities();
        expect(s.size).toBe(N);
        if (kind === 'instance') probs.forEach((p, i) => expect(p).toBeCloseTo(c.counts[i] / N, 14));
        if (kind === 'classBalanced') probs.forEach((p) => expect(p).toBeCloseTo(1 / c.counts.length, 14));
        const epochs = kind === 'instance' ? 2 : Math.ceil(200_000 / N);
        const freq = new Float64Array(c.counts.length);
        for (let e = 0; e < epochs; e++) {
          const ep = s.epoch();
          expect(ep.length).toBe(N);
          if (kind === 'instance') {
            expect(new Set(ep).size).toBe(N); // a permutation
          }
          for (let k = 0; k < N; k++) freq[labels[ep[k]]]++;
        }
        const M = epochs * N;
        probs.forEach((p, i) => {
          const se = Math.sqrt((p * (1 - p)) / M);
          expect(Math.abs(freq[i] / M - p)).toBeLessThanOrEqual(5 * se + 1e-12);
        });
      });
    }
  }

  it('classBalanced draws instances uniformly within a class', () => {
    const counts = [500, 20];
    const labels = labelsFor(counts);
    const s = createSampler('classBalanced', labels, counts, new Rng(4));
    const hits = new Map<number, number>();
    let draws = 0;
    for (let e = 0; e < 200; e++)
      for (const pos of s.epoch())
        if (labels[pos] === 1) {
          hits.set(pos, (hits.get(pos) ?? 0) + 1);
          draws++;
        }
    expect(hits.size).toBe(20);
    const p = 1 / 20;
    const se = Math.sqrt((p * (1 - p)) / draws);
    for (const h of hits.values()) expect(Math.abs(h / draws - p)).toBeLessThan(5 * se);
  });

  it('is reproducible from the seed and epochs differ', () => {
    const counts = [30, 10, 3];
    const labels = labelsFor(counts);
    for (const kind of kinds) {
      const a = createSampler(kind, labels, counts, new Rng(77));
      const b = createSampler(kind, Array.from(labels), counts, new Rng(77));
      const a1 = a.epoch();
      expect(Array.from(a1)).toEqual(Array.from(b.epoch()));
      expect(Array.from(a.epoch())).not.toEqual(Array.from(a1));
      expect(Array.from(createSampler(kind, labels, counts, new Rng(78)).epoch())).not.toEqual(Array.from(a1));
    }
  });

  it('never draws an empty class and validates its inputs', () => {
    const counts = [5, 0, 2];
    const labels = labelsFor(counts);
    for (const kind of ['classBalanced', 'cben'] as const) {
      const s = createSampler(kind, labels, counts, new Rng(1));
      expect(s.classProbabilities()[1]).toBe(0);
      for (let e = 0; e < 20; e++) for (const pos of s.epoch()) expect(labels[pos]).not.toBe(1);
    }
    expect(() => createSampler('cben', labels, [5, 1, 1], new Rng(1))).toThrow(/counts\[1\] = 1 but the labels hold 0/);
    expect(() => createSampler('cben', [0, 3], [1, 0, 0], new Rng(1))).toThrow(/label 3 at position 1 is outside 0\.\.2/);
    expect(() => createSampler('nope' as SamplerKind, labels, counts, new Rng(1))).toThrow(/unknown sampler kind "nope"/);
  });
});
