import { describe, expect, it } from 'vitest';
import { dispatchCost, GPU_PROFILES, H100, kernelClass, modelSeconds, modelStep } from '../../../src/core/gpu/cost-model';
import { buildPlan, type Plan } from '../../../src/core/gpu/plan';
import { buildSpec } from '../../../src/core/models';
import { LIMITS, planCases } from './plan-fixtures';

const planOf = (
  kind: 'convnet' | 'resnet8' | 'resnet32',
  batch: number,
  input: [number, number, number],
  conv: 'direct' | 'tiled' | 'auto' = 'direct',
): Plan => buildPlan(buildSpec({ kind, head: 'linear', inputShape: input, numClasses: 10 }), batch, LIMITS, conv);

describe('GPU cost model', () => {
  it('counts 2·N·H·W·Cin·Cout·k² FLOPs for each pass of a stride-1 convolution', () => {
    const plan = planOf('resnet8', 128, [32, 32, 3]);
    const dims = { maxBatch: 128, C: 10, D: 64 };
    // stage 1 of ResNet-8: 32×32, 16 → 16 channels, 3×3, stride 1
    const analytic = 2 * 128 * 32 * 32 * 16 * 16 * 9;
    for (const pass of ['forward', 'input gradient', 'weight gradient']) {
      const d = plan.train.find((q) => q.label === `layer1.0.conv2 ${pass}`);
      expect(d, pass).toBeDefined();
      expect(dispatchCost(d!, dims).flops, pass).toBe(analytic);
    }
    // the network's first convolution (3 → 16): forward and weight gradient, no input gradient
    const first = plan.train.filter((q) => q.label.startsWith('conv1 '));
    expect(first.map((q) => q.label).sort()).toEqual(['conv1 forward', 'conv1 weight gradient']);
    for (const d of first) expect(dispatchCost(d, dims).flops).toBe(2 * 128 * 32 * 32 * 3 * 16 * 9);
  });

  it('counts a stride-2 forward over the output positions and its input gradient over every tap', () => {
    const plan = planOf('resnet8', 128, [32, 32, 3]);
    const dims = { maxBatch: 128, C: 10, D: 64 };
    const fwd = plan.train.find((q) => q.label === 'layer2.0.conv1 forward')!;
    expect(dispatchCost(fwd, dims).flops).toBe(2 * 128 * 16 * 16 * 16 * 32 * 9);
    const ig = plan.train.find((q) => q.label === 'layer2.0.conv1 input gradient')!;
    expect(dispatchCost(ig, dims).flops).toBe(2 * 128 * 32 * 32 * 16 * 32 * 9);
  });

  it('has a class and a cost rule for every kernel every plan uses', () => {
    for (const c of planCases()) {
      const dims = { maxBatch: c.maxBatch, C: c.plan.numClasses, D: c.plan.featureDim };
      for (const d of [...c.plan.train, ...c.plan.frozen, ...c.plan.eval]) {
        const r = dispatchCost(d, dims);
        expect(kernelClass(d.src.name)).toBe(r.cls);
        for (const v of [r.flops, r.bytesRead, r.bytesWritten, r.threads, r.workgroups])
          expect(Number.isFinite(v) && v >= 0, d.label).toBe(true);
        expect(r.bytesRead + r.bytesWritten, d.label).toBeGreaterThan(0);
        for (const p of GPU_PROFILES) expect(modelSeconds(r, p)).toBeGreaterThanOrEqual(p.dispatchSeconds);
      }
    }
  });

  it('slows a dispatch that fills few SMs', () => {
    const base = { label: 'x', kernel: 'sgd', cls: 'sgd' as const, flops: 1e9, bytesRead: 0, bytesWritten: 0 };
    const full = modelSeconds({ ...base, workgroups: 1320, threads: 1320 * 256 }, H100);
    const tenth = modelSeconds({ ...base, workgroups: 13, threads: 13 * 256 }, H100);
    expect(tenth - H100.dispatchSeconds).toBeGreaterThan(9 * (full - H100.dispatchSeconds));
  });

  it('gives stable totals for ResNet-32 b128 32×32×3', () => {
    const m = modelStep(planOf('resnet32', 128, [32, 32, 3]));
    expect(m.dispatches).toBe(288);
    expect(m.byClass.conv.dispatches).toBe(93);
    // 31 convolutions' forward + 30 input gradients + 31 weight gradients, stride-2 input gradients over every tap
    expect(m.byClass.conv.flops).toBe(54_585_556_992);
    expect(Math.round(m.flops / 1e6)).toBe(55_433);
    expect(Math.round((m.bytesRead + m.bytesWritten) / 1e6)).toBe(3_045);
    const [h100, igpu] = m.estimates;
    expect(h100.profile).toBe('h100');
    expect(h100.ms).toBeCloseTo(9.09, 1);
    expect(igpu.ms).toBeCloseTo(125.3, 0);
    const sum = Object.values(h100.byClass).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(h100.ms, 9);
  });

  it('counts the tiled stride-2 input gradient over the taps each phase needs (4 + 2 + 2 + 1 of 4 × 9)', () => {
    const plan = planOf('resnet8', 128, [32, 32, 3], 'tiled');
    const dims = { maxBatch: 128, C: 10, D: 64 };
    const ig = plan.train.find((q) => q.label === 'layer2.0.conv1 input gradient')!;
    expect(ig.src.name).toBe('conv-input-grad-tiled-optionA');
    const r = dispatchCost(ig, dims);
    expect(r.flops).toBe(2 * 128 * 16 * 16 * 9 * 16 * 32);
    expect(r.staged).toBe(true);
    // a stride-1 one keeps every tap; the forward and weight gradient count the same FLOPs as the direct kernels
    const direct = planOf('resnet8', 128, [32, 32, 3]);
    for (const label of ['layer1.0.conv2 input gradient', 'layer2.0.conv1 forward', 'layer2.0.conv1 weight gradient']) {
      const t = plan.train.find((q) => q.label.startsWith(label))!;
      const d = direct.train.find((q) => q.label.startsWith(label))!;
      expect(t.src.name, label).toContain('-tiled');
      expect(dispatchCost(t, dims).flops, label).toBe(dispatchCost(d, dims).flops);
    }
  });

  it('models a staged kernel at its own rates: the same grid and work take less time than an untiled one', () => {
    const base = { label: 'x', kernel: 'conv-forward', cls: 'conv' as const, flops: 1e10, bytesRead: 1e6, bytesWritten: 1e6 };
    const grid = { workgroups: 512, threads: 512 * 64 };
    for (const p of GPU_PROFILES) {
      const direct = modelSeconds({ ...base, ...grid }, p);
      const staged = modelSeconds({ ...base, ...grid, staged: true }, p);
      expect(staged, p.id).toBeLessThan(direct);
    }
  });

  it('ResNet-32 b128 with the tiled kernels: the useful 52.8 GFLOP of convolution, modelled faster than direct', () => {
    const direct = modelStep(planOf('resnet32', 128, [32, 32, 3]));
    const tiled = modelStep(planOf('resnet32', 128, [32, 32, 3], 'tiled'));
    expect(tiled.byClass.conv.flops).toBe(52_780_667_904);
    expect(tiled.dispatches).toBe(318);
    expect(tiled.estimates[0].ms).toBeCloseTo(5.95, 1);
    expect(tiled.estimates[1].ms).toBeCloseTo(104.5, 0);
    for (let i = 0; i < GPU_PROFILES.length; i++) expect(tiled.estimates[i].ms).toBeLessThan(direct.estimates[i].ms);
    // 'auto' on a hardware adapter: every layer of ResNet-32 b128 but the first is large enough
    expect(modelStep(planOf('resnet32', 128, [32, 32, 3], 'auto')).estimates[0].ms).toBeCloseTo(tiled.estimates[0].ms, 9);
  });
});
