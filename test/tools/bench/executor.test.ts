import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../../tools/bench/bench';
import { executorMarkdown, executorPlan, parseConvVariants, type ExecRow } from '../../../tools/bench/executor';
import { configKey } from '../../../tools/bench/step';

describe('fused-executor bench rows', () => {
  it('--executor-only: both engines on every floor config, ConvNet b64 28×28×1 and ResNet-32 b128 32×32×3, each under a time cap', () => {
    expect(parseBenchArgs(['--executor-only']).executorOnly).toBe(true);
    expect(parseBenchArgs(['--quick', '--no-executor']).executor).toBe(false);
    expect(parseBenchArgs(['--dry']).executor).toBe(false);
    const plan = executorPlan('executor');
    const keys = (engine: string, kind: string) => plan.filter((p) => p.engine === engine && p.kind === kind).map((p) => configKey(p.cfg));
    for (const engine of ['fused', 'tfjs']) {
      expect(keys(engine, 'floor')).toEqual([
        'convnet/b2/8x8x3/ce',
        'resnet8/b2/8x8x3/ce',
        'resnet32/b2/8x8x3/ce',
        'resnet32/b2/8x8x3/gcl',
      ]);
      expect(keys(engine, 'real')).toEqual(['convnet/b64/28x28x1/ce', 'resnet32/b128/32x32x3/ce']);
    }
    expect(plan.every((p) => p.timeoutMs > 0 && p.timeoutMs <= 600_000)).toBe(true);
    expect(executorPlan('quick').map((p) => `${p.engine} ${configKey(p.cfg)}`)).toEqual([
      'fused resnet32/b2/8x8x3/ce',
      'tfjs resnet32/b2/8x8x3/ce',
    ]);
  });

  it('--conv-variant: one executor run per variant asked for, the tfjs rows once', () => {
    expect(parseBenchArgs([]).convVariants).toEqual(['auto']);
    expect(parseBenchArgs(['--executor-only', '--conv-variant', 'all']).convVariants).toEqual(['direct', 'tiled']);
    expect(parseConvVariants('tiled,auto,tiled')).toEqual(['tiled', 'auto']);
    expect(parseConvVariants('direct,fast')).toBeNull();
    expect(parseConvVariants('')).toBeNull();
    const plan = executorPlan('quick', ['direct', 'tiled']);
    expect(plan.map((p) => `${p.engine} ${p.conv ?? '-'}`)).toEqual(['fused direct', 'fused tiled', 'tfjs -']);
  });

  it('the table pairs each executor row with the tfjs row of the same config (wall and CPU ratios)', () => {
    const row = (engine: 'fused' | 'tfjs', medianMs: number, cpuMs: number, dispatches: number): ExecRow => ({
      engine,
      ...(engine === 'fused' ? { convAsked: 'auto' as const, convVariant: 'direct' as const } : {}),
      kind: 'floor',
      config: 'resnet32/b2/8x8x3/ce',
      batch: 2,
      dispatches,
      kernels: engine === 'tfjs' ? 1650 : null,
      setupMs: null,
      firstStepMs: 1,
      medianMs,
      cpuMs,
      pipelinedMs: null,
      imgPerSec: (2 / medianMs) * 1000,
      stepsMs: [medianMs],
      lastLoss: 1,
      memory: '',
    });
    const md = executorMarkdown({
      status: 'measured',
      reason: 'Dawn',
      software: true,
      rows: [row('fused', 100, 2, 288), row('tfjs', 1000, 900, 1686)],
    });
    // the variant asked for and the one that ran ('auto' picks the direct kernels on a software adapter)
    expect(md).toMatch(/\| fused executor \(auto → direct\) \| resnet32\/b2\/8x8x3\/ce \| 288 \|.*\| 10\.0; 450 \|/);
    const forced = executorMarkdown({
      status: 'measured',
      reason: 'Dawn',
      software: true,
      rows: [{ ...row('fused', 100, 2, 318), convAsked: 'tiled', convVariant: 'tiled' }, row('tfjs', 1000, 900, 1686)],
    });
    expect(forced).toMatch(/\| fused executor \(tiled\) \| resnet32\/b2\/8x8x3\/ce \| 318 \|/);
    expect(md).toMatch(/\| tfjs webgpu \| resnet32\/b2\/8x8x3\/ce \| 1686 \| 1650 \|/);
    expect(md).toMatch(/software/);
    const split = executorMarkdown({
      status: 'measured',
      reason: 'Dawn',
      software: true,
      rows: [{ ...row('fused', 100, 2, 288), launchMs: 12, kernelMs: [{ kernel: 'conv-weight-grad', count: 31, ms: 70.44 }] }],
    });
    expect(split).toMatch(/\| 100\.0 \| 12\.0 \| 2\.00 \|/);
    expect(split).toMatch(/- resnet32\/b2\/8x8x3\/ce: conv-weight-grad 31× 70\.4/);
    expect(md).not.toMatch(/Where a fused step spends/);
    const failed = { ...row('tfjs', NaN, NaN, 0), medianMs: null, error: 'not finished within 300 s (cap)' };
    expect(executorMarkdown({ status: 'measured', reason: '', software: true, rows: [row('fused', 100, 2, 288), failed] })).toMatch(
      /not finished within 300 s/,
    );
  });
});
