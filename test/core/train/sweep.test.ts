import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TrainConfig } from '../../../src/core/train/config';
import {
  parseSweepArg,
  parseSweepValues,
  planSweep,
  rangeValues,
  sweepOptions,
  sweepParams,
  sweepRows,
  sweepTable,
  sweepPoints,
  heatGrid,
  tailMean,
  type SweepEpoch,
} from '../../../src/core/train/sweep';

const gcl: TrainConfig = { ...structuredClone(DEFAULT_CONFIG), loss: 'gcl', lossParams: { m: 0.2 } };

describe('sweep planner', () => {
  it("offers the loss schema's numeric hyperparameters, then lr, batch size and IF", () => {
    const ids = sweepParams(gcl).map((p) => p.id);
    expect(ids).toEqual(['s', 'm', 'noiseMul', 'focalGamma', 'lr', 'batchSize', 'imbalance']);
    // GCL's are its stage-1 settings (stage 2 has its own, not swept)
    expect(sweepParams(gcl).every((p) => p.label.endsWith(', stage 1'))).toBe(true);
    // booleans (KPS' gradient-adjustment switch) are not swept
    const kps = sweepOptions({ ...gcl, loss: 'kps' });
    expect(kps.params.map((p) => p.id)).toEqual(['maxM', 's', 'lr', 'batchSize', 'imbalance']);
    expect(kps.skipped).toEqual([{ id: 'ga', label: 'Gradient adjustment', why: expect.stringMatching(/on\/off switch/) }]);
  });

  it('offers only what acts on the loss and head: the cosine scale only on a cosine head', () => {
    const ids = (c: Partial<TrainConfig>) => sweepParams({ ...gcl, lossParams: {}, ...c }).map((p) => p.id);
    // losses defined on either head: `scale` multiplies a cosine head's outputs, the linear head ignores it
    expect(ids({ loss: 'ce', head: 'linear' })).toEqual(['lr', 'batchSize', 'imbalance']);
    expect(ids({ loss: 'ce', head: 'cosine' })).toEqual(['scale', 'lr', 'batchSize', 'imbalance']);
    expect(ids({ loss: 'balancedSoftmax', head: 'linear' })).toEqual(['lr', 'batchSize', 'imbalance']);
    expect(ids({ loss: 'cbce', head: 'linear' })).toEqual(['beta', 'lr', 'batchSize', 'imbalance']);
    expect(ids({ loss: 'logitAdjust', head: 'linear' })).toEqual(['tau', 'lr', 'batchSize', 'imbalance']);
    expect(ids({ loss: 'logitAdjust', head: 'cosine' })).toEqual(['tau', 'scale', 'lr', 'batchSize', 'imbalance']);
    // losses defined on one head use it whatever the config says (as the trainer): their s always acts
    expect(ids({ loss: 'gcl', head: 'linear' })).toContain('s');
    expect(ids({ loss: 'ldam', head: 'linear', epochs: 10 })).toEqual(['maxM', 's', 'beta', 'lr', 'batchSize', 'imbalance']);
    expect(ids({ loss: 'fbl', head: 'cosine', epochs: 10 })).toEqual(['A', 'lr', 'batchSize', 'imbalance']);
    const ce = sweepOptions({ loss: 'ce', head: 'linear' });
    expect(ce.skipped).toEqual([{ id: 'scale', label: 'Cosine scale s', why: expect.stringMatching(/linear head ignores it/) }]);
  });

  it('leaves out what the run is too short to use, and IF on data used as is', () => {
    const ids = (c: Partial<TrainConfig>) => sweepParams({ ...gcl, ...c }).map((p) => p.id);
    // LDAM's β sets the DRW weights, on from epoch 0.8·T (0-based, rounded): never within 1 or 2 epochs
    expect(ids({ loss: 'ldam', epochs: 2 })).not.toContain('beta');
    expect(ids({ loss: 'ldam', epochs: 3 })).toContain('beta');
    // FBL's A multiplies α(t), which is 0 at t = 0: a 1-epoch run never uses it (the official curriculum does)
    expect(ids({ loss: 'fbl', head: 'linear', epochs: 1 })).not.toContain('A');
    expect(ids({ loss: 'fbl', head: 'linear', epochs: 1, fblCurriculum: 'official' })).toContain('A');
    expect(ids({ loss: 'fbl', head: 'linear', epochs: 2 })).toContain('A');
    expect(ids({ profile: 'asis' })).not.toContain('imbalance');
  });

  it('plans one config per value with everything else equal', () => {
    const p = planSweep(gcl, 'noiseMul', [0.1, 0.3, 0.5, 1]);
    if (!p.ok) throw new Error(p.why);
    expect(p.value.runs.map((r) => r.config.lossParams.noiseMul)).toEqual([0.1, 0.3, 0.5, 1]);
    for (const r of p.value.runs) {
      expect(r.config.lossParams.m).toBe(0.2);
      expect({ ...r.config, lossParams: {} }).toEqual({ ...gcl, lossParams: {} });
    }
    expect(gcl.lossParams).toEqual({ m: 0.2 });
    const lr = planSweep(gcl, 'lr', [0.01, 0.1]);
    expect(lr.ok && lr.value.runs.map((r) => r.config.lr)).toEqual([0.01, 0.1]);
    const b = parseSweepArg('batch=32,64', gcl);
    expect(b.ok && b.value.runs.map((r) => r.config.batchSize)).toEqual([32, 64]);
    const f = parseSweepArg('if=10,100', gcl);
    expect(f.ok && f.value.runs.map((r) => r.config.imbalance)).toEqual([10, 100]);
  });

  it('plans the grid of two parameters, the first outermost, and refuses the same parameter twice', () => {
    const p = planSweep(gcl, 'noiseMul', [0.1, 1], { paramId: 'lr', values: [0.01, 0.05, 0.1] });
    if (!p.ok) throw new Error(p.why);
    expect(p.value.param2?.id).toBe('lr');
    expect(p.value.values2).toEqual([0.01, 0.05, 0.1]);
    expect(p.value.runs.map((r) => [r.index, r.value, r.value2])).toEqual([
      [0, 0.1, 0.01],
      [1, 0.1, 0.05],
      [2, 0.1, 0.1],
      [3, 1, 0.01],
      [4, 1, 0.05],
      [5, 1, 0.1],
    ]);
    expect(p.value.runs.map((r) => [r.config.lossParams.noiseMul, r.config.lr])).toEqual(p.value.runs.map((r) => [r.value, r.value2]));
    expect(p.value.runs[4].label).toBe('noiseMul = 1 · lr = 0.05');
    for (const r of p.value.runs) expect({ ...r.config, lr: 0, lossParams: {} }).toEqual({ ...gcl, lr: 0, lossParams: {} });
    const why = (r: { ok: boolean; why?: string }) => (r.ok ? '' : r.why);
    expect(why(planSweep(gcl, 'lr', [0.01, 0.1], { paramId: 'lr', values: [0.2, 0.3] }))).toMatch(/both lr/);
    expect(why(planSweep(gcl, 'lr', [0.01, 0.1], { paramId: 'noiseMul', values: [0.1] }))).toMatch(/^second parameter: .*2–8 values/);
    expect(why(planSweep(gcl, 'lr', [0.01, 0.1], { paramId: 'kappa', values: [1, 2] }))).toMatch(/cannot be swept/);
  });

  it('reads lists and ranges with a count, linear or log', () => {
    const noise = sweepParams(gcl).find((p) => p.id === 'noiseMul')!;
    expect(parseSweepValues('0.1, 0.3,0.5 ,1', noise)).toEqual({ ok: true, value: [0.1, 0.3, 0.5, 1] });
    expect(parseSweepValues('0:1:5', noise)).toEqual({ ok: true, value: [0, 0.25, 0.5, 0.75, 1] });
    expect(parseSweepValues('0.1..1 x3 log', noise)).toEqual({ ok: true, value: rangeValues(0.1, 1, 3, true) });
    expect(rangeValues(0.01, 1, 3, true)).toEqual([0.01, 0.1, 1]);
    const batch = sweepParams(gcl).find((p) => p.id === 'batchSize')!;
    // batch sizes are whole numbers, lr/batch/IF ranges are geometric
    expect(parseSweepValues('16:128:4', batch)).toEqual({ ok: true, value: [16, 32, 64, 128] });
  });

  it('refuses what it cannot run, saying why', () => {
    const noise = sweepParams(gcl).find((p) => p.id === 'noiseMul')!;
    const why = (r: { ok: boolean; why?: string }) => (r.ok ? '' : r.why);
    expect(why(parseSweepValues('0.1', noise))).toMatch(/2–8 values/);
    expect(why(parseSweepValues('0:1:9', noise))).toMatch(/count of 2–8/);
    expect(why(parseSweepValues('0.1,abc', noise))).toMatch(/"abc" is not a number/);
    expect(why(parseSweepValues('0x1,0.5', noise))).toMatch(/"0x1" is not a number/); // decimal only, as the flags
    expect(why(parseSweepValues('0.1,0.1', noise))).toMatch(/repeat/);
    expect(why(parseSweepValues('0.1,99', noise))).toMatch(/outside/);
    expect(why(parseSweepValues('0.1,,2', noise))).toMatch(/give values/);
    expect(why(planSweep(gcl, 'kappa', [1, 2]))).toMatch(/cannot be swept with GCL .* on the cosine head.*noiseMul/);
    // a parameter the run does not use: named with the loss and the head, and why
    const ceLinear: TrainConfig = { ...gcl, loss: 'ce', head: 'linear', lossParams: {} };
    expect(why(parseSweepArg('scale=10,30', ceLinear))).toBe(
      `"scale" does not apply to Cross-entropy on the linear head: the linear head ignores it (it scales a cosine head's outputs) (sweep one of: lr, batchSize, imbalance)`,
    );
    expect(why(planSweep(ceLinear, 'scale', [10, 30]))).toMatch(/does not apply to Cross-entropy on the linear head/);
    const ceCosine = parseSweepArg('scale=10,30', { ...ceLinear, head: 'cosine' });
    expect(ceCosine.ok && ceCosine.value.runs.map((r) => r.config.lossParams.scale)).toEqual([10, 30]);
    expect(why(parseSweepArg('ga=0,1', { ...gcl, loss: 'kps' }))).toMatch(
      /"ga" does not apply to KPS \(\+GA\) on the cosine head: .*on\/off switch/,
    );
    expect(why(parseSweepArg('beta=0.99,0.999', { ...gcl, loss: 'ldam', epochs: 1 }))).toMatch(
      /DRW would start at epoch 2, after the run's 1 epoch \(/,
    );
    // GCL's stage-2 settings are not swept
    expect(why(parseSweepArg('stage2.s=10,20', gcl))).toMatch(/stage-2 setting: a sweep varies stage 1/);
    expect(why(parseSweepArg('noiseMul', gcl))).toMatch(/KEY=VALUES/);
    expect(why(parseSweepArg('batch=16.5,32', gcl))).toMatch(/whole number/);
  });
});

describe('sweep results', () => {
  const ep = (epoch: number, acc: number, perClass: number[], score?: number): SweepEpoch => ({
    epoch,
    testAccuracy: acc,
    groupAccuracy: { many: acc + 0.1, medium: acc, few: null },
    perClassAccuracy: perClass,
    ...(score !== undefined ? { selection: 'validation' as const, selectionScore: score } : {}),
  });
  const counts = [100, 50, 20, 10, 5];

  it('tail-3 = the 3 classes with the fewest training images (at most half the classes, as in reproduce)', () => {
    expect(tailMean([1, 1, 0.3, 0.6, 0.9, 0], [...counts, 200])).toBeCloseTo(0.6, 12);
    expect(tailMean([1, 1, 0.3, 0.6, 0.9], counts)).toBeCloseTo(0.75, 12);
  });

  it('reads the last or the best epoch (best by the selection score when a validation split was on)', () => {
    const results = [
      { value: 1, label: 'noiseMul = 1', counts, epochs: [ep(0, 0.5, [1, 1, 0, 0, 0]), ep(1, 0.4, [1, 1, 0, 0, 1])] },
      { value: 0.1, label: 'noiseMul = 0.1', counts, epochs: [ep(0, 0.7, [1, 1, 1, 0, 0], 0.2), ep(1, 0.6, [1, 1, 1, 1, 1], 0.9)] },
      { value: 0.5, label: 'unfinished', counts, epochs: [] },
    ];
    const last = sweepRows(results, 'last');
    expect(last.map((r) => [r.value, r.epoch, r.overall, r.chosenOn])).toEqual([
      [0.1, 2, 0.6, null],
      [1, 2, 0.4, null],
    ]);
    const best = sweepRows(results, 'best');
    expect(best.map((r) => [r.value, r.epoch, r.overall, r.chosenOn])).toEqual([
      [0.1, 2, 0.6, 'validation'],
      [1, 1, 0.5, 'test'],
    ]);
    expect(best[1].tail3).toBe(0);
    const table = sweepTable(
      sweepParams(gcl).find((p) => p.id === 'noiseMul')!,
      best,
      'best',
    );
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toMatch(/\| 0.1 \| 2 \| validation \| 60.0 \| 70.0 \| 60.0 \| — \| 100.0 \|/);
  });

  it('summarises each point over its seeds (mean, sample std) and lays a two-parameter sweep out as a shaded grid', () => {
    const run = (value: number, value2: number, seed: number, acc: number) => ({
      value,
      value2,
      seed,
      label: `p = ${value} · q = ${value2}`,
      counts,
      epochs: [ep(0, acc, [1, 1, 1, 0, 0])],
    });
    // 2 × 2 grid, 2 seeds per point; (2, 20) not trained yet
    const results = [
      run(1, 10, 1, 0.4),
      run(1, 10, 2, 0.6),
      run(1, 20, 1, 0.7),
      run(1, 20, 2, 0.7),
      run(2, 10, 1, 0.2),
      { ...run(2, 10, 2, 0), epochs: [{ ...ep(0, 0, [0, 0, 0, 0, 0]), testAccuracy: null }] },
    ];
    const rows = sweepRows(results, 'last');
    expect(rows.map((r) => [r.value, r.value2, r.seed])).toEqual([
      [1, 10, 1],
      [1, 10, 2],
      [1, 20, 1],
      [1, 20, 2],
      [2, 10, 1],
      [2, 10, 2],
    ]);
    const pts = sweepPoints(rows, 'overall');
    expect(pts.map((p) => [p.value, p.value2, p.n])).toEqual([
      [1, 10, 2],
      [1, 20, 2],
      [2, 10, 1],
    ]);
    expect(pts[0].mean).toBeCloseTo(0.5, 12);
    expect(pts[0].std).toBeCloseTo(Math.sqrt(0.02), 12); // sample std of 0.4, 0.6
    expect(pts[1].std).toBe(0);
    // a seed without a metric is kept in `each` but not in the mean
    expect(pts[2].each).toEqual([0.2, null]);
    expect(pts[2].mean).toBeCloseTo(0.2, 12);
    const grid = heatGrid([1, 2], [10, 20], pts);
    expect(grid.min).toBeCloseTo(0.2, 12);
    expect(grid.max).toBeCloseTo(0.7, 12);
    // the second parameter down, the first across
    expect(grid.rows.map((r) => [r.value2, r.cells.map((c) => c.value)])).toEqual([
      [10, [1, 2]],
      [20, [1, 2]],
    ]);
    expect(grid.rows[0].cells.map((c) => c.shade)).toEqual([expect.closeTo(0.6, 12), 0]);
    expect(grid.rows[1].cells[0].shade).toBe(1);
    expect(grid.rows[1].cells[1]).toEqual({ value: 2, value2: 20, point: null, shade: null });
    // all means equal: the middle shade
    expect(heatGrid([1], [20], [pts[1]]).rows[0].cells[0].shade).toBe(0.5);
    // one parameter: a point per value
    const one = sweepPoints(
      sweepRows(
        [
          { value: 3, label: 'a', counts, epochs: [ep(0, 0.3, [0, 0, 0, 0, 0])] },
          { value: 3, label: 'a', counts, epochs: [ep(0, 0.5, [0, 0, 0, 0, 0]), ep(1, 0.1, [0, 0, 0, 0, 0])] },
        ],
        'best',
      ),
      'overall',
    );
    expect(one).toHaveLength(1);
    expect(one[0].value2).toBeUndefined();
    expect(one[0].epochs).toEqual([1, 1]);
    expect(one[0].mean).toBeCloseTo(0.4, 12);
  });
});
