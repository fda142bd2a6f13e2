import { describe, expect, it } from 'vitest';
import { buildSpec, MODEL_KINDS, paramCount, bnLayerNames, type ModelKind } from '../../../src/core/models';

function resnetNames(n: number, head: 'cosine' | 'linear'): string[] {
  const bn = (p: string) => ['weight', 'bias', 'running_mean', 'running_var'].map((s) => `${p}.${s}`);
  const names = ['conv1.weight', ...bn('bn1')];
  for (let s = 1; s <= 3; s++) {
    for (let i = 0; i < n; i++) {
      const b = `layer${s}.${i}`;
      names.push(`${b}.conv1.weight`, ...bn(`${b}.bn1`), `${b}.conv2.weight`, ...bn(`${b}.bn2`));
    }
  }
  names.push('linear.weight');
  if (head === 'linear') names.push('linear.bias');
  return names;
}

describe('buildSpec', () => {
  it('ResNet-32 has the PyTorch state-dict names in state-dict order (num_batches_tracked excluded)', () => {
    for (const head of ['cosine', 'linear'] as const) {
      const spec = buildSpec({ kind: 'resnet32', head, inputShape: [32, 32, 3], numClasses: 10 });
      expect(spec.params.map((p) => p.name)).toEqual(resnetNames(5, head));
      expect(spec.featureDim).toBe(64);
    }
  });

  it('ResNet-32 parameter count matches PyTorch (464,154 with the 10-class linear head)', () => {
    const lin = buildSpec({ kind: 'resnet32', head: 'linear', inputShape: [32, 32, 3], numClasses: 10 });
    expect(paramCount(lin)).toBe(464154);
    const cos = buildSpec({ kind: 'resnet32', head: 'cosine', inputShape: [32, 32, 3], numClasses: 10 });
    expect(paramCount(cos)).toBe(464154 - 10);
    // buffers: running mean + var of 31 BN layers
    const bnChannels = 16 + 2 * 5 * 16 + 2 * 5 * 32 + 2 * 5 * 64;
    expect(paramCount(lin, { includeBuffers: true })).toBe(464154 + 2 * bnChannels);
    expect(paramCount(lin, { classifierOnly: true })).toBe(650);
    expect(bnLayerNames(lin)).toHaveLength(31);
  });

  it('shapes are in the tfjs layout', () => {
    const spec = buildSpec({ kind: 'resnet32', head: 'linear', inputShape: [28, 28, 1], numClasses: 7 });
    const shape = (n: string) => spec.params.find((p) => p.name === n)!.shape;
    expect(shape('conv1.weight')).toEqual([3, 3, 1, 16]);
    expect(shape('bn1.running_var')).toEqual([16]);
    expect(shape('layer2.0.conv1.weight')).toEqual([3, 3, 16, 32]);
    expect(shape('layer2.0.conv2.weight')).toEqual([3, 3, 32, 32]);
    expect(shape('layer3.4.bn2.weight')).toEqual([64]);
    expect(shape('linear.weight')).toEqual([64, 7]);
    expect(shape('linear.bias')).toEqual([7]);
    const kinds = new Map(spec.params.map((p) => [p.name, p]));
    expect(kinds.get('bn1.running_mean')).toMatchObject({ kind: 'bnMean', trainable: false, classifier: false });
    expect(kinds.get('linear.weight')).toMatchObject({ kind: 'linearWeight', trainable: true, classifier: true });
  });

  it('blocks: strides, shortcuts and counts for ResNet-8/20/32', () => {
    const expected: Record<string, number> = { resnet8: 1, resnet20: 3, resnet32: 5 };
    for (const [kind, n] of Object.entries(expected)) {
      const spec = buildSpec({ kind: kind as ModelKind, head: 'cosine', inputShape: [32, 32, 3], numClasses: 10 });
      const blocks = spec.layers.filter((l) => l.op === 'block');
      expect(blocks).toHaveLength(3 * n);
      const down = blocks.filter((b) => b.op === 'block' && b.shortcut === 'optionA');
      expect(down.map((b) => b.op === 'block' && b.name)).toEqual(['layer2.0', 'layer3.0']);
      expect(down.every((b) => b.op === 'block' && b.stride === 2)).toBe(true);
      expect(spec.params.map((p) => p.name)).toEqual(resnetNames(n, 'cosine'));
      expect(spec.layers[spec.layers.length - 1]).toEqual({ op: 'head', kind: 'cosine', inDim: 64, outDim: 10 });
    }
    const r20 = buildSpec({ kind: 'resnet20', head: 'linear', inputShape: [32, 32, 3], numClasses: 10 });
    expect(paramCount(r20)).toBe(269722); // 0.27M, as in He et al. (2016) Table 6
  });

  it('convnet names and sizes', () => {
    const spec = buildSpec({ kind: 'convnet', head: 'linear', inputShape: [28, 28, 1], numClasses: 10 });
    expect(spec.params.filter((p) => p.trainable).map((p) => p.name)).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'conv2.weight',
      'bn2.weight',
      'bn2.bias',
      'conv3.weight',
      'bn3.weight',
      'bn3.bias',
      'linear.weight',
      'linear.bias',
    ]);
    expect(paramCount(spec)).toBe(144 + 32 + 4608 + 64 + 18432 + 128 + 650);
    expect(spec.layers.filter((l) => l.op === 'maxpool')).toHaveLength(2);
  });

  it('MODEL_KINDS lists every kind with a label', () => {
    expect(MODEL_KINDS.map((m) => m.kind)).toEqual(['convnet', 'resnet8', 'resnet20', 'resnet32']);
    expect(MODEL_KINDS.every((m) => m.label.length > 0)).toBe(true);
  });

  it('rejects bad configs with clear messages', () => {
    expect(() => buildSpec({ kind: 'resnet99' as ModelKind, head: 'cosine', inputShape: [32, 32, 3], numClasses: 10 })).toThrow(
      /unknown model kind/,
    );
    expect(() => buildSpec({ kind: 'convnet', head: 'cosine', inputShape: [32, 32, 3], numClasses: 1 })).toThrow(/numClasses/);
    expect(() => buildSpec({ kind: 'convnet', head: 'cosine', inputShape: [2, 2, 3], numClasses: 10 })).toThrow(/H, W/);
    expect(() =>
      buildSpec({ kind: 'convnet', head: 'cosine', inputShape: [32, 32] as unknown as [number, number, number], numClasses: 10 }),
    ).toThrow(/inputShape/);
  });
});
