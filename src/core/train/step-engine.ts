/**
 * What executes a training step and an evaluation for the Trainer. The Trainer owns everything else (data,
 * sampling, augmentation, schedules, the loss context, metrics, checkpoints); an engine owns the model's
 * computation and the optimiser state. Two engines: the tfjs reference path (./tfjs-engine.ts, every tfjs backend)
 * and the fused WebGPU executor.
 *
 * Both keep the same tfjs `Model` up to date for what needs tfjs variables (exports, checkpoints): the tfjs engine
 * trains it directly; another engine copies its weights into it on `syncToModel()`.
 */
import type { LossContext, LossId, LossParams } from '../losses/types';

export type EngineKind = 'tfjs' | 'fused';

export interface EngineStep {
  /** NHWC input, normalised and augmented (at least n·H·W·C values). */
  x: Float32Array;
  /** Samples in this batch (≥ 2). */
  n: number;
  labels: Int32Array;
  lr: number;
  loss: { id: LossId; params: LossParams; ctx: LossContext };
  /** GCL noise ε before |·| (n×C), when the loss draws noise. */
  noise: Float32Array | null;
  /** GCL stage 2: BN in eval mode (running statistics untouched), only the classifier is trained. */
  frozen: boolean;
  /**
   * Mixup (`x` already holds λ·x_i + (1 − λ)·x_perm(i)): the loss is λ·L(labels, noise) + (1 − λ)·L(mix.labels,
   * mix.noise), each term a separate call of the loss with its own noise draw (as the authors' GCL scripts call
   * the criterion twice). Same fields as the fused executor's `trainStep({ mix })` (src/core/gpu/step-block.ts).
   */
  mix?: EngineMix;
}

export interface EngineMix {
  /** Labels of the second image of each pair (labels[perm[i]]). */
  labels: Int32Array;
  /** Weight of the first term, in [0, 1]. */
  lambda: number;
  /** GCL noise of the second term (n×C, before |·|), when the loss draws noise. */
  noise?: Float32Array;
}

export interface EngineStepResult {
  loss: number;
  /** Sum of every gradient entry (non-finite when any gradient is). */
  gradientSum: number;
  /** Loss and gradients were finite and the update was applied; false: nothing changed. */
  applied: boolean;
  /** L2 norm of each sample's pooled feature. */
  featureNorms: Float32Array;
  /** Arg max of the classifier output per sample. */
  preds: Int32Array;
}

export interface EngineEval {
  /** Classifier output [n×C] (cosine similarities or linear logits), eval mode. */
  output: Float32Array;
  /** Pooled features [n×D]. */
  features: Float32Array;
}

/** A submitted step: its result, and how to undo it after later steps ran on top. */
export interface InFlightStep {
  result: Promise<EngineStepResult>;
  /**
   * Puts weights, momentum and BN running statistics (and the BN batch counter) back as they were before this step,
   * undoing it and every step submitted after it. Only on an engine with depth > 1, before more steps are submitted
   * than it keeps in flight.
   */
  restore(): void;
}

export interface StepEngine {
  readonly kind: EngineKind;
  /** Steps the trainer may keep in flight: the result of one is read while the next ones run (1: one at a time). */
  readonly depth: number;
  train(step: EngineStep): Promise<EngineStepResult>;
  /** Submits a step without waiting for its result (the tfjs engine computes it first). */
  submit(step: EngineStep): InFlightStep;
  evaluate(x: Float32Array, n: number): Promise<EngineEval>;
  /** Writes the engine's weights and BN statistics/counters into the trainer's tfjs model (no-op for tfjs). */
  syncToModel(): Promise<void>;
  /** The model's weights were set from outside (restore, an engine swap): the engine takes them. */
  syncFromModel(): Promise<void>;
  /** Momentum buffers by parameter name (those that exist). */
  readMomentum(): Promise<Map<string, Float32Array>>;
  /** Restores momentum buffers by parameter name for the trainable parameters of `which`. */
  writeMomentum(m: Map<string, Float32Array>, which: 'all' | 'classifier'): void;
  /** Fresh (zero) momentum, e.g. at the start of GCL stage 2. */
  resetMomentum(): void;
  setWeightDecay(wd: number): void;
  dispose(): void;
}
