import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { drwStartEpoch, fblAlpha, gaStartEpoch, stage1Lr, stage2Lr } from '../../../src/core/train/schedules';

const golden = JSON.parse(readFileSync(new URL('../../fixtures/golden/losses.json', import.meta.url), 'utf8'));
const S = golden.schedules;

function close(a: number, b: number) {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(b));
}

describe('schedules match the authors (T = 200)', () => {
  it('FBL alpha', () => {
    for (const [t, v] of Object.entries(S.fblAlpha_T200)) close(fblAlpha(Number(t), 200), v as number);
  });
  it('GCL/KPS step schedule', () => {
    for (const [t, v] of Object.entries(S['lrGclKps_base0.1'])) close(stage1Lr(Number(t), 200, 0.1, 'step01'), v as number);
  });
  it('LDAM/FBL step schedule', () => {
    for (const [t, v] of Object.entries(S['lrLdamFbl_base0.1'])) close(stage1Lr(Number(t), 200, 0.1, 'step001'), v as number);
  });
  it('GCL stage 2 cosine', () => {
    for (const [t, v] of Object.entries(S['lrGclStage2_lrmax0.1_30ep'])) close(stage2Lr(Number(t), 30, 0.1), v as number);
  });
  it('switch epochs', () => {
    expect(gaStartEpoch(200)).toBe(S.kpsGaStartEpoch);
    expect(drwStartEpoch(200)).toBe(S.drwStartEpoch);
  });
});

describe('schedules scale with T', () => {
  it('keeps the fractions for T = 20', () => {
    expect(gaStartEpoch(20)).toBe(12);
    expect(drwStartEpoch(20)).toBe(16);
    close(stage1Lr(15, 20, 0.1, 'step01'), 0.1);
    close(stage1Lr(16, 20, 0.1, 'step01'), 0.01);
    close(stage1Lr(18, 20, 0.1, 'step01'), 0.001);
    close(fblAlpha(19, 20), (19 / 19) ** 2);
    expect(fblAlpha(10, 20)).toBeCloseTo((10 / 19) ** 2, 12);
  });
  it('a one-epoch run trains at the base lr', () => {
    close(stage1Lr(0, 1, 0.1, 'step01'), 0.1);
    close(stage1Lr(0, 1, 0.1, 'step001'), 0.1);
  });
  it("fractional epochs: the authors' values at every epoch boundary, steps inside the epoch for short runs", () => {
    for (const [t, v] of Object.entries(S['lrGclKps_base0.1'])) close(stage1Lr(Number(t) + 0, 200, 0.1, 'step01'), v as number);
    // T = 4: steps at 3.2 and 3.6 epochs (0.8·T, 0.9·T), i.e. inside the last epoch
    close(stage1Lr(3, 4, 0.1, 'step01'), 0.1);
    close(stage1Lr(3.19, 4, 0.1, 'step01'), 0.1);
    close(stage1Lr(3.2, 4, 0.1, 'step01'), 0.01);
    close(stage1Lr(3.75, 4, 0.1, 'step01'), 0.001);
    close(stage1Lr(2.7, 3, 0.1, 'step001'), 0.1 * 0.0001);
    // warm-up grows within an epoch too (T = 200: W = 5) and meets the per-epoch values at the boundaries
    close(stage1Lr(0.5, 200, 0.1, 'step01'), 0.03);
    close(stage1Lr(4, 200, 0.1, 'step01'), 0.1);
    // stage-2 cosine between epochs
    close(stage2Lr(7.5, 30, 0.1), 0.001 * (1 + Math.cos((Math.PI * 7.5) / 30)));
  });
  it('warm-up is monotone and reaches the base lr', () => {
    const lrs = Array.from({ length: 10 }, (_, e) => stage1Lr(e, 400, 0.1, 'step01'));
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]).toBeGreaterThanOrEqual(lrs[i - 1]);
    close(lrs[9], 0.1);
  });
});
