/** Loss contracts: a pure function plus a hyperparameter schema the UI renders as controls. */
import type * as tf from '@tensorflow/tfjs';
import type { HeadKind } from '../models/types';

export type LossId = 'ce' | 'ldam' | 'balancedSoftmax' | 'logitAdjust' | 'cbce' | 'kps' | 'fbl' | 'gcl';

export interface HyperParamSpec {
  key: string;
  label: string;
  kind: 'number' | 'boolean';
  default: number; // booleans: 0 / 1
  min: number;
  max: number;
  step: number;
  unit?: string;
  /** One-line meaning, shown on hover/focus. */
  help: string;
}

export type LossParams = Record<string, number>;

/**
 * Draws the GCL noise: a [rows, cols] matrix of N(0, σ = 1/3) clipped to [−1, 1], BEFORE the absolute value.
 * Injectable so tests can feed the authors' noise; the default is seeded.
 */
export type NoiseSource = (rows: number, cols: number) => tf.Tensor2D;

export interface LossContext {
  /** Training count per class, in the model's class order (per-class vectors are computed from these). */
  counts: number[];
  /** FBL curriculum factor α(t) in force. */
  alpha: number;
  /** KPS gradient adjustment switched on (after the GA start epoch). */
  gaActive: boolean;
  /** LDAM: DRW class weights switched on (after the DRW start epoch). */
  drwActive: boolean;
  /** GCL noise source. */
  noise: NoiseSource;
  /**
   * Optional: the head producing `output`. Losses defined on either head (CE, CB-CE, Balanced Softmax, logit
   * adjustment) multiply a cosine head's output by their `scale` hyperparameter; absent = 'linear' (no scale).
   */
  head?: HeadKind;
}

export interface LossInputs {
  /** Classifier output [B, C] (cosine similarities or linear logits). */
  output: tf.Tensor2D;
  /** int32 labels [B]. */
  labels: tf.Tensor1D;
  /** Pooled features [B, D] (FBL uses their norm). */
  features: tf.Tensor2D;
}

export interface LossDef {
  id: LossId;
  label: string;
  /** One sentence for the UI. */
  summary: string;
  /** Head the loss is defined on ('any': works with both; CE uses `scale` on a cosine head). */
  head: HeadKind | 'any';
  schema: HyperParamSpec[];
  /** Scalar batch-mean loss; differentiable w.r.t. output and features. */
  compute(inp: LossInputs, params: LossParams, ctx: LossContext): tf.Scalar;
  /**
   * Chartable per-class quantities actually in force, as plain numbers (e.g. GCL cloud amplitude,
   * KPS scale and margin, FBL stimulus α·A·d̂_c, LDAM margin, class weights). Keys are stable identifiers.
   */
  perClass(params: LossParams, ctx: Omit<LossContext, 'noise'>): Record<string, number[]>;
}
