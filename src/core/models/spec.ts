/**
 * Model specs as data: layer list + named parameters (PyTorch ResNet_s state-dict names, tfjs layouts).
 * Pure (no tfjs): the reference executor (./executor) and a future fused executor interpret the same spec.
 */
import type { BlockConv, BlockLayer, HeadKind, LayerSpec, ModelConfig, ModelKind, ModelSpec, ParamSpec } from './types';

export interface ModelKindInfo {
  kind: ModelKind;
  label: string;
  /** BasicBlocks per stage (ResNets only). */
  blocksPerStage?: number;
  /** Short description for the UI. */
  help: string;
}

export const MODEL_KINDS: readonly ModelKindInfo[] = [
  {
    kind: 'convnet',
    label: 'Small ConvNet (3 conv, ~24k params)',
    help: 'Fast model for demos and tests: 3× (conv 3×3 + BN + ReLU), max-pool after the first two, global average pool.',
  },
  {
    kind: 'resnet8',
    label: 'ResNet-8 (CIFAR, ~75k params)',
    blocksPerStage: 1,
    help: 'CIFAR ResNet_s with 1 BasicBlock per stage (16/32/64 channels).',
  },
  { kind: 'resnet20', label: 'ResNet-20 (CIFAR, ~0.27M params)', blocksPerStage: 3, help: 'CIFAR ResNet_s with 3 BasicBlocks per stage.' },
  {
    kind: 'resnet32',
    label: 'ResNet-32 (CIFAR, 0.46M params)',
    blocksPerStage: 5,
    help: "The papers' backbone (LDAM-DRW resnet32): 5 BasicBlocks per stage.",
  },
];

export const HEAD_KINDS: readonly { head: HeadKind; label: string }[] = [
  { head: 'cosine', label: 'Cosine (normalised) classifier' },
  { head: 'linear', label: 'Linear classifier (z = fW + b)' },
];

/** PyTorch BatchNorm2d defaults used by the reference code. */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

const STAGE_CHANNELS = [16, 32, 64] as const;

function blocksPerStage(kind: ModelKind): number {
  switch (kind) {
    case 'resnet8':
      return 1;
    case 'resnet20':
      return 3;
    case 'resnet32':
      return 5;
    default:
      throw new Error(`blocksPerStage: ${kind} is not a ResNet`);
  }
}

function validateConfig(config: ModelConfig): void {
  const { kind, head, inputShape, numClasses } = config;
  if (!MODEL_KINDS.some((m) => m.kind === kind)) throw new Error(`buildSpec: unknown model kind '${kind}'`);
  if (head !== 'cosine' && head !== 'linear') throw new Error(`buildSpec: unknown head '${head}'`);
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`buildSpec: inputShape must be [H, W, C] positive integers, got ${JSON.stringify(inputShape)}`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`buildSpec: numClasses must be an integer ≥ 2, got ${numClasses}`);
  const [h, w] = inputShape;
  if (kind === 'convnet' && (h < 4 || w < 4)) throw new Error(`buildSpec: convnet needs H, W ≥ 4 (two 2×2 max-pools), got ${h}×${w}`);
  if (kind !== 'convnet' && (h < 4 || w < 4)) throw new Error(`buildSpec: ResNets need H, W ≥ 4 (two stride-2 stages), got ${h}×${w}`);
}

class SpecBuilder {
  layers: LayerSpec[] = [];
  params: ParamSpec[] = [];

  conv(name: string, inC: number, outC: number, k: number, stride: number, pad: number, emitLayer = true): void {
    if (emitLayer) this.layers.push({ op: 'conv', name, inC, outC, k, stride, pad });
    this.params.push({ name: `${name}.weight`, shape: [k, k, inC, outC], kind: 'conv', trainable: true, classifier: false });
  }

  bn(name: string, channels: number, emitLayer = true): void {
    if (emitLayer) this.layers.push({ op: 'bn', name, channels });
    const p = (suffix: string, kind: ParamSpec['kind'], trainable: boolean): ParamSpec => ({
      name: `${name}.${suffix}`,
      shape: [channels],
      kind,
      trainable,
      classifier: false,
    });
    this.params.push(
      p('weight', 'bnWeight', true),
      p('bias', 'bnBias', true),
      p('running_mean', 'bnMean', false),
      p('running_var', 'bnVar', false),
    );
  }

  head(kind: HeadKind, inDim: number, outDim: number): void {
    this.layers.push({ op: 'head', kind, inDim, outDim });
    if (kind === 'cosine') {
      this.params.push({ name: 'linear.weight', shape: [inDim, outDim], kind: 'cosineWeight', trainable: true, classifier: true });
    } else {
      this.params.push({ name: 'linear.weight', shape: [inDim, outDim], kind: 'linearWeight', trainable: true, classifier: true });
      this.params.push({ name: 'linear.bias', shape: [outDim], kind: 'linearBias', trainable: true, classifier: true });
    }
  }
}

/**
 * Builds the layer list and parameter specs for a model.
 *
 * ResNet layers: conv1, bn1, relu, then one 'block' per BasicBlock (name 'layerS.i'), gap, head. A block stands for
 * conv1 (3×3, stride s, pad 1) → bn1 → relu → conv2 (3×3, pad 1) → bn2 → (+ shortcut) → relu; its parameters are
 * `${block}.conv1.weight`, `${block}.bn1.*`, `${block}.conv2.weight`, `${block}.bn2.*`. Option-A shortcut:
 * x[:, ::2, ::2] plus outC//4 zero channels on each side (no parameters), used when stride ≠ 1 or inC ≠ outC.
 */
export function buildSpec(config: ModelConfig): ModelSpec {
  validateConfig(config);
  const [, , inC] = config.inputShape;
  const b = new SpecBuilder();
  let featureDim: number;
  if (config.kind === 'convnet') {
    const ch = [16, 32, 64];
    let c = inC;
    ch.forEach((outC, i) => {
      const idx = i + 1;
      b.conv(`conv${idx}`, c, outC, 3, 1, 1);
      b.bn(`bn${idx}`, outC);
      b.layers.push({ op: 'relu' });
      if (i < 2) b.layers.push({ op: 'maxpool', size: 2 });
      c = outC;
    });
    featureDim = c;
  } else {
    const n = blocksPerStage(config.kind);
    b.conv('conv1', inC, STAGE_CHANNELS[0], 3, 1, 1);
    b.bn('bn1', STAGE_CHANNELS[0]);
    b.layers.push({ op: 'relu' });
    let c: number = STAGE_CHANNELS[0];
    STAGE_CHANNELS.forEach((outC, s) => {
      for (let i = 0; i < n; i++) {
        const stride = s > 0 && i === 0 ? 2 : 1;
        const name = `layer${s + 1}.${i}`;
        const shortcut = stride !== 1 || c !== outC ? 'optionA' : 'identity';
        if (shortcut === 'optionA' && c + 2 * Math.floor(outC / 4) !== outC) {
          throw new Error(`buildSpec: option-A shortcut cannot map ${c} to ${outC} channels`);
        }
        const block: BlockLayer = { op: 'block', name, inC: c, outC, stride, shortcut };
        b.layers.push(block);
        const { conv1, bn1, conv2, bn2 } = expandBlock(block);
        for (const [cv, bn] of [
          [conv1, bn1],
          [conv2, bn2],
        ] as const) {
          b.conv(cv.name, cv.inC, cv.outC, cv.k, cv.stride, cv.pad, false);
          b.bn(bn, cv.outC, false);
        }
        c = outC;
      }
    });
    featureDim = c;
  }
  b.layers.push({ op: 'gap' });
  b.head(config.head, featureDim, config.numClasses);
  return {
    config: { ...config, inputShape: [...config.inputShape] as [number, number, number] },
    layers: b.layers,
    params: b.params,
    featureDim,
  };
}

/**
 * What a residual block contains, in forward order: conv1 (3×3, the block's stride) → bn1 → ReLU → conv2 (3×3) →
 * bn2 → + shortcut → ReLU. The one place that spells it out: buildSpec (parameters), the tfjs executor and the fused
 * plan (layer records) read it.
 */
export function expandBlock(l: BlockLayer): { conv1: BlockConv; bn1: string; conv2: BlockConv; bn2: string } {
  return {
    conv1: { name: `${l.name}.conv1`, inC: l.inC, outC: l.outC, k: 3, stride: l.stride, pad: 1 },
    bn1: `${l.name}.bn1`,
    conv2: { name: `${l.name}.conv2`, inC: l.outC, outC: l.outC, k: 3, stride: 1, pad: 1 },
    bn2: `${l.name}.bn2`,
  };
}

/** Number of scalars in the trainable parameters (BN weights/biases included, running stats excluded), or in all. */
export function paramCount(spec: ModelSpec, opts: { includeBuffers?: boolean; classifierOnly?: boolean } = {}): number {
  let n = 0;
  for (const p of spec.params) {
    if (!p.trainable && !opts.includeBuffers) continue;
    if (opts.classifierOnly && !p.classifier) continue;
    n += p.shape.reduce((a, d) => a * d, 1);
  }
  return n;
}

/** Names of the BN layers in forward order (each has weight, bias, running_mean, running_var). */
export function bnLayerNames(spec: ModelSpec): string[] {
  return spec.params.filter((p) => p.kind === 'bnMean').map((p) => p.name.slice(0, -'.running_mean'.length));
}

/** Output spatial size of a 2-D conv / pool with PyTorch (floor) semantics. */
export function convOutSize(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}
