import { describe, expect, it } from 'vitest';
import { lessonClaimResults, lessonSpread, type ReproducedSummary } from '../../../src/node/reproduce/summary';
import { lessonMarkdown } from '../../../src/node/reproduce/report';
import { parseCli } from '../../../src/node/reproduce/main';
import { type RunId } from '../../../src/node/reproduce/runs';
import { LESSON_PLAN } from '../../../src/core/train/lesson-plan';

function sum(id: RunId, overall: number, few: number, norm: number): ReproducedSummary {
  const p = { epoch: 7, overall, many: 0.5, medium: 0.5, few, tail3: few, head3: 0.5, perClass: [] };
  return {
    id,
    label: id,
    epochs: 8,
    final: p,
    best: p,
    bestOn: 'test',
    normRatioTail3Head3: norm,
    normRatioTailGroups: null,
    featureNormTest: [],
    seconds: 10,
    halted: null,
  };
}

const good = [
  sum('ce', 0.52, 0.09, 1.03),
  sum('kps', 0.47, 0.79, 1.01),
  sum('fbl', 0.57, 0.74, 1.33),
  sum('gcl1', 0.68, 0.55, 0.88),
  sum('gcl2', 0.71, 0.64, 0.88),
];

describe('the lesson profile', () => {
  it('takes the shared lesson plan and five seeds', () => {
    const o = parseCli(['--lesson']);
    expect(o.profile.epochs).toBe(LESSON_PLAN.epochs);
    expect(o.profile.headImages).toBe(LESSON_PLAN.headImages);
    expect(o.seeds).toEqual([1, 2, 3, 4, 5]);
    expect(o.runs).toEqual(['ce', 'kps', 'fbl', 'gcl1', 'gcl2']);
    expect(parseCli(['--lesson', '--seeds', '3,4']).seeds).toEqual([3, 4]);
  });

  it('checks each claim on a seed and says which fails', () => {
    expect(Object.values(lessonClaimResults(good)).every((v) => v === true)).toBe(true);
    const bad = good.map((s) => (s.id === 'gcl2' ? sum('gcl2', 0.6, 0.64, 0.88) : s));
    const r = lessonClaimResults(bad);
    expect(r['gcl2-overall']).toBe(false);
    expect(r['few-kps']).toBe(true);
    expect(lessonClaimResults(good.slice(0, 1))['norm-fbl']).toBeNull();
    const md = lessonMarkdown([
      { seed: 1, seconds: 100, sums: good },
      { seed: 2, seconds: 90, sums: bad },
    ]);
    expect(md).toMatch(/overall accuracy: GCL stage 2 ≥ stage 1 \| ✓ \| ✗ \| NO \|/);
    expect(
      lessonSpread(
        [
          { seed: 1, seconds: 1, sums: good },
          { seed: 2, seconds: 1, sums: bad },
        ],
        'gcl2',
        'overall',
      ),
    ).toEqual([60, 71]);
  });
});
