import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { classCounts, countsFor, groupCounts, groupOf, makeLongTail } from '../../../src/core/data/longtail';
import { DataError } from '../../../src/core/data/errors';
import { syntheticSet, thrown } from './helpers';

const golden = JSON.parse(readFileSync(new URL('../../fixtures/golden/losses.json', import.meta.url), 'utf8'));
const tiny = { height: 1, width: 1, channels: 1 };

describe('long-tail counts', () => {
  const entries = Object.entries(
    golden.longTail as Record<string, { counts: number[]; total: number; many: number; medium: number; few: number }>,
  );
  it('has the eight golden CIFAR-LT cases', () => expect(entries.length).toBe(8));
  for (const [name, ref] of entries) {
    it(`reproduces golden ${name}`, () => {
      const C = name.startsWith('cifar100') ? 100 : 10;
      const nMax = C === 100 ? 500 : 5000;
      const imbalance = Number(name.split('_if')[1]);
      const counts = countsFor(C, nMax, { imbalance, profile: 'exp' });
      expect(counts).toEqual(ref.counts);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(ref.total);
      expect(groupCounts(counts)).toEqual({ many: ref.many, medium: ref.medium, few: ref.few });
    });
  }

  it('matches docs/data.md and the step profile', () => {
    expect(countsFor(10, 5000, { imbalance: 100, profile: 'exp' })).toEqual([5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]);
    expect(countsFor(10, 5000, { imbalance: 1, profile: 'exp' })).toEqual(new Array(10).fill(5000));
    expect(countsFor(10, 5000, { imbalance: 100, profile: 'step' })).toEqual([5000, 5000, 5000, 5000, 5000, 50, 50, 50, 50, 50]);
    expect(countsFor(10, 5000, { imbalance: 10, profile: 'step', stepMu: 0.75 })).toEqual([
      5000, 5000, 5000, 500, 500, 500, 500, 500, 500, 500,
    ]);
    expect(countsFor(100, 500, { imbalance: 100, profile: 'step', stepMu: 0.5 }).filter((n) => n === 5).length).toBe(50);
    expect(countsFor(5, 333, { imbalance: 7, profile: 'step', stepMu: 0.4 })).toEqual([333, 333, 333, 47, 47]);
  });

  it('groups: many n > 100, medium 20..100, few < 20', () => {
    expect([101, 100, 20, 19, 0].map(groupOf)).toEqual(['many', 'medium', 'medium', 'few', 'few']);
  });

  it('rejects impossible options clearly', () => {
    expect(thrown(() => countsFor(10, 5000, { imbalance: 0.5, profile: 'exp' })).message).toMatch(
      /imbalance factor must be a finite number ≥ 1, got 0\.5/,
    );
    expect(thrown(() => countsFor(10, 5000, { imbalance: NaN, profile: 'exp' })).message).toMatch(/imbalance factor/);
    expect(thrown(() => countsFor(2.5, 5000, { imbalance: 10, profile: 'exp' })).message).toMatch(
      /number of classes must be a positive integer, got 2\.5/,
    );
    expect(thrown(() => countsFor(10, 0, { imbalance: 10, profile: 'exp' })).message).toMatch(/n_max must be a positive integer/);
    expect(thrown(() => countsFor(10, 50, { imbalance: 10, profile: 'step', stepMu: 1.5 })).message).toMatch(/μ must be in \[0, 1\]/);
    expect(thrown(() => countsFor(10, 50, { imbalance: 10, profile: 'zipf' as never })).message).toMatch(
      /unknown long-tail profile "zipf"/,
    );
  });
});

describe('makeLongTail', () => {
  const pool = syntheticSet([60, 55, 50, 45, 40], tiny, 3, 'toy pool');

  it('draws the profile counts, class-major, from the right classes, without duplicates', () => {
    const sub = makeLongTail(pool, { imbalance: 10, profile: 'exp', nMax: 40, seed: 5 });
    expect(sub.counts).toEqual(countsFor(5, 40, { imbalance: 10, profile: 'exp' }));
    expect(sub.counts).toEqual([40, 22, 12, 7, 4]);
    expect(sub.groups).toEqual(['medium', 'medium', 'few', 'few', 'few']);
    expect(sub.options).toEqual({ imbalance: 10, profile: 'exp', stepMu: 0.5, nMax: 40, seed: 5 });
    expect(new Set(sub.indices).size).toBe(sub.indices.length);
    sub.indices.forEach((idx, k) => expect(pool.labels[idx]).toBe(sub.labels[k]));
    expect(Array.from(sub.labels)).toEqual(
      Array.from(sub.labels)
        .slice()
        .sort((a, b) => a - b),
    );
    expect(classCounts(sub.labels, 5)).toEqual(sub.counts);
  });

  it('defaults n_max to the largest pool class capped at 5000', () => {
    expect(makeLongTail(pool, { imbalance: 2, profile: 'exp', seed: 1 }).options.nMax).toBe(60);
    expect(makeLongTail(pool, { imbalance: 2, profile: 'exp', seed: 1 }).counts).toEqual([60, 50, 42, 35, 30]);
    const big = syntheticSet([7000, 10], tiny, 4, 'big');
    expect(makeLongTail(big, { imbalance: 1000, profile: 'exp', seed: 1 }).counts).toEqual([5000, 5]);
  });

  it('is seeded: same seed same subset, other seed another one; larger IF is a per-class prefix', () => {
    const a = makeLongTail(pool, { imbalance: 5, profile: 'exp', nMax: 40, seed: 9 });
    const b = makeLongTail(pool, { imbalance: 5, profile: 'exp', nMax: 40, seed: 9 });
    const c = makeLongTail(pool, { imbalance: 5, profile: 'exp', nMax: 40, seed: 10 });
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(Array.from(a.indices)).not.toEqual(Array.from(c.indices));
    const big = makeLongTail(pool, { imbalance: 20, profile: 'exp', nMax: 40, seed: 9 });
    const step = makeLongTail(pool, { imbalance: 5, profile: 'step', nMax: 40, seed: 9 });
    const perClass = (s: typeof a) => Array.from({ length: 5 }, (_, cl) => Array.from(s.indices).filter((_, k) => s.labels[k] === cl));
    const pa = perClass(a);
    perClass(big).forEach((idx, cl) => expect(idx).toEqual(pa[cl].slice(0, idx.length)));
    // step and exp with the same seed share per-class orders too
    const pStep = perClass(step);
    pStep.forEach((idx, cl) => {
      const n = Math.min(idx.length, pa[cl].length);
      expect(idx.slice(0, n)).toEqual(pa[cl].slice(0, n));
    });
  });

  it('refuses what the pool cannot serve', () => {
    const e = thrown(() => makeLongTail(pool, { imbalance: 2, profile: 'step', stepMu: 0.2, nMax: 50, seed: 1 }));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toBe('toy pool: step μ=0.2 profile at IF 2 with n_max 50 needs 50 images of class 3 ("class 3"), the pool holds 45');
    expect(thrown(() => makeLongTail(pool, { imbalance: 100, profile: 'exp', nMax: 40, seed: 1 })).message).toMatch(
      /leaves class 4 \("class 4"\) with no images/,
    );
    expect(thrown(() => makeLongTail(pool, { imbalance: 0, profile: 'exp', seed: 1 })).message).toMatch(/imbalance factor/);
    expect(thrown(() => makeLongTail({ ...pool, numClasses: 4.5 }, { imbalance: 2, profile: 'exp', seed: 1 })).message).toMatch(
      /positive integer/,
    );
  });
});
