/**
 * tfjs building blocks of the loss computations: one-hot, (weighted) cross-entropy with PyTorch semantics, a
 * focal weight without gradient, and the head-dependent logit scale. Every helper is a handful of tfjs ops on
 * [B, C] tensors; per-class vectors come from ../perclass.ts as plain numbers and are uploaded as one small
 * [1, C] tensor each.
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadKind } from '../../models/types';
import type { LossContext, LossParams } from '../types';
import type { NoiseSource } from './noise';
import { headScale } from '../head-scale';

/** The context of a loss computation: the description's context plus the GCL noise source. */
export interface ComputeContext extends LossContext {
  noise: NoiseSource;
}

export interface LossInputs {
  /** Classifier output [B, C] (cosine similarities or linear logits). */
  output: tf.Tensor2D;
  /** int32 labels [B]. */
  labels: tf.Tensor1D;
  /** Pooled features [B, D] (FBL uses their norm). */
  features: tf.Tensor2D;
}

/** Scalar batch-mean loss; differentiable w.r.t. output and features. `params` must be complete (defaults filled). */
export type LossCompute = (inp: LossInputs, params: LossParams, ctx: ComputeContext) => tf.Scalar;

/** Float one-hot [B, C] of int labels. */
export function oneHotF(labels: tf.Tensor1D, C: number): tf.Tensor2D {
  const lab = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
  return tf.cast(tf.oneHot(lab, C), 'float32') as tf.Tensor2D;
}

/** [1, C] constant row from per-class numbers. */
export function rowVec(values: readonly number[]): tf.Tensor2D {
  return tf.tensor2d(values as number[], [1, values.length], 'float32');
}

/** Per-sample value of a per-class vector, picked by label: [B, 1]. */
export function perSample(values: readonly number[], labels: tf.Tensor1D): tf.Tensor2D {
  const lab = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
  return tf.reshape(tf.gather(tf.tensor1d(values as number[], 'float32'), lab), [-1, 1]) as tf.Tensor2D;
}

/** Per-sample negative log-likelihood −log softmax(logits)_y given the float one-hot: [B]. */
export function nllPerSample(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), oneHot), 1)) as tf.Tensor1D;
}

/**
 * Cross-entropy with PyTorch's reduction: mean nll, or with class weights Σ w_y·nll / Σ w_y
 * (F.cross_entropy(weight=w), NOT tfjs' default weighted-loss reduction).
 */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D, classWeights?: readonly number[]): tf.Scalar {
  const nll = nllPerSample(logits, oneHot);
  if (!classWeights) return tf.mean(nll) as tf.Scalar;
  const wy = tf.sum(tf.mul(oneHot, rowVec(classWeights)), 1); // w_{y_b}, [B]
  return tf.div(tf.sum(tf.mul(wy, nll)), tf.sum(wy)) as tf.Scalar;
}

/**
 * Focal factor (1 − p_b)^γ with p_b = exp(−nll_b) treated as a constant: the returned tensor has zero gradient
 * (tfjs has no stopGradient; a customGrad whose backward returns zeros plays that role).
 */
export function focalWeightNoGrad(nll: tf.Tensor1D, gamma: number): tf.Tensor1D {
  const f = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => {
    const t = x as tf.Tensor1D;
    const oneMinusP = tf.sub(1, tf.exp(tf.neg(t)));
    const value = (gamma === 1 ? oneMinusP : tf.pow(oneMinusP, gamma)) as tf.Tensor1D;
    return { value, gradFunc: (dy: tf.Tensor1D) => tf.zerosLike(dy) };
  });
  return f(nll) as tf.Tensor1D;
}

/** Detached copy of a tensor (same value, no gradient), built with customGrad. */
export function detach<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((t: tf.Tensor | tf.GradSaveFunc) => ({
    value: (t as tf.Tensor).clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return f(x) as T;
}

/** Logits of a loss that works on either head: cosine outputs × scale, linear outputs unchanged. */
export function headLogits(output: tf.Tensor2D, params: LossParams, head: HeadKind | undefined): tf.Tensor2D {
  return head === 'cosine' ? (tf.mul(output, headScale(params, head)) as tf.Tensor2D) : output;
}
