import { describe, expect, it } from 'vitest';
import { trainerMarkdown, trainerPlan, type TrainerRow } from '../../../tools/bench/trainer';

const row = (engine: 'fused' | 'tfjs', step: number, epoch: number): TrainerRow => ({
  engine,
  config: 'convnet/b8/8x8x3/gcl',
  batch: 8,
  stepsPerEpoch: 7,
  firstStepMs: 1000,
  medianStepMs: step,
  evalMs: 50,
  epochMs: epoch,
  imgPerSec: (8 / step) * 1000,
  trainLoss: 1.5,
});

describe('trainer-level engine bench rows', () => {
  it('quick: ConvNet on both engines; full adds ResNet-8 and the ResNet-32 floor, each pair fused then tfjs', () => {
    const q = trainerPlan('quick');
    expect(q.map((i) => `${i.engine} ${i.model}`)).toEqual(['fused convnet', 'tfjs convnet']);
    const f = trainerPlan('full');
    expect(f.map((i) => `${i.engine} ${i.model}`)).toEqual([
      'fused convnet',
      'tfjs convnet',
      'fused resnet8',
      'tfjs resnet8',
      'fused resnet32',
      'tfjs resnet32',
    ]);
    for (const i of f) expect(i.timeoutMs).toBeGreaterThan(0);
  });

  it('the table gives tfjs ÷ fused per step and per epoch, and failed rows say why', () => {
    const md = trainerMarkdown({
      status: 'measured',
      reason: 'Dawn (SwiftShader)',
      rows: [row('fused', 100, 1000), row('tfjs', 900, 5000)],
    });
    expect(md).toMatch(/\| fused \| convnet\/b8\/8x8x3\/gcl \| 7 \| 1000 \| 100\.0 \| 50 \| 1000 \| 80\.0 \| 9\.0; 5\.0 \| 1\.5000 \|/);
    const failed = { ...row('tfjs', 0, 0), medianStepMs: null, epochMs: null, error: 'not finished within 180 s (cap)' };
    expect(trainerMarkdown({ status: 'measured', reason: '', rows: [row('fused', 100, 1000), failed] })).toMatch(
      /\| fused \|.*\| – \|.*\n\| tfjs \|.*not finished within 180 s/,
    );
    expect(trainerMarkdown({ status: 'unavailable', reason: 'no Dawn', rows: [] })).toMatch(/unavailable — no Dawn/);
  });
});
