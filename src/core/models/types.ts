/**
 * Models described as data: a list of layer specs plus named parameters (PyTorch ResNet_s state-dict names),
 * so that the tfjs executor is the reference and another executor (a fused WebGPU one) can run the same model.
 */
import type * as tf from '@tensorflow/tfjs';

export type ModelKind = 'convnet' | 'resnet8' | 'resnet20' | 'resnet32';
export type HeadKind = 'cosine' | 'linear';

export interface ModelConfig {
  kind: ModelKind;
  head: HeadKind;
  /** [H, W, C] — 28×28×1 or 32×32×3 (others allowed if the layers fit). */
  inputShape: [number, number, number];
  numClasses: number;
}

/**
 * Trainable parameter or buffer, by its PyTorch state-dict name.
 * Shapes are in the tfjs layout: conv kernels [kh, kw, in, out]; linear.weight [in, out] (both heads);
 * BN vectors [C]. The export issue maps them to PyTorch layouts.
 */
export interface ParamSpec {
  name: string; // e.g. 'conv1.weight', 'layer1.0.bn2.running_var', 'linear.weight'
  shape: number[];
  kind: 'conv' | 'bnWeight' | 'bnBias' | 'bnMean' | 'bnVar' | 'linearWeight' | 'linearBias' | 'cosineWeight';
  trainable: boolean;
  /** Part of the classifier (trained in GCL stage 2) rather than the backbone. */
  classifier: boolean;
}

/** A residual BasicBlock as one layer; `expandBlock` (spec.ts) says what it contains. */
export interface BlockLayer {
  op: 'block';
  name: string;
  inC: number;
  outC: number;
  stride: number;
  shortcut: 'identity' | 'optionA';
}

/** One convolution inside a block (3×3, padding 1). */
export interface BlockConv {
  name: string;
  inC: number;
  outC: number;
  k: 3;
  stride: number;
  pad: 1;
}

export type LayerSpec =
  | { op: 'conv'; name: string; inC: number; outC: number; k: number; stride: number; pad: number }
  | { op: 'bn'; name: string; channels: number }
  | { op: 'relu' }
  | BlockLayer
  | { op: 'maxpool'; size: number }
  | { op: 'gap' }
  | { op: 'head'; kind: HeadKind; inDim: number; outDim: number };

export interface ModelSpec {
  config: ModelConfig;
  layers: LayerSpec[];
  params: ParamSpec[];
  featureDim: number;
}

export interface ForwardResult {
  /** Pooled (post-ReLU) feature, [B, D]. */
  features: tf.Tensor2D;
  /** Classifier output, [B, C]: cosine similarities for the cosine head, z = fW + b for the linear head. */
  output: tf.Tensor2D;
}

export type ForwardMode = 'train' | 'eval';

export interface Model {
  spec: ModelSpec;
  /** Every parameter and buffer by PyTorch name (buffers are non-trainable variables). */
  vars: Map<string, tf.Variable>;
  /** num_batches_tracked per BN layer name (PyTorch buffer, kept as a plain number). */
  bnBatchesTracked: Map<string, number>;
  /**
   * 'train': BN uses batch statistics and records pending running-stat updates (kept tensors) that
   * `commitBnUpdates()` applies and `discardBnUpdates()` drops. 'eval': BN uses running statistics.
   * Safe to call inside tf.variableGrads / tf.tidy.
   */
  forward(x: tf.Tensor4D, mode: ForwardMode): ForwardResult;
  commitBnUpdates(): void;
  discardBnUpdates(): void;
  /** Trainable variables: all of them, or only the classifier (GCL stage 2). */
  trainable(which: 'all' | 'classifier'): tf.Variable[];
  dispose(): void;
}
