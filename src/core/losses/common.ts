/**
 * Shared building blocks of the losses: schema helpers, parameter resolution, one-hot, (weighted) cross-entropy
 * with PyTorch semantics, a focal weight without gradient, and the head-dependent logit scale.
 * Every helper is a handful of tfjs ops on [B, C] tensors; per-class vectors come from perclass.ts as plain
 * numbers and are uploaded as one small [1, C] tensor each.
 */
import * as tf from '@tensorflow/tfjs';
import type { HyperParamSpec, LossContext, LossParams } from './types';

/** Number hyperparameter spec. */
export function numParam(
  key: string,
  label: string,
  def: number,
  min: number,
  max: number,
  step: number,
  help: string,
  unit?: string,
): HyperParamSpec {
  const spec: HyperParamSpec = { key, label, kind: 'number', default: def, min, max, step, help };
  if (unit !== undefined) spec.unit = unit;
  return spec;
}

/** Boolean (0/1) hyperparameter spec. */
export function boolParam(key: string, label: string, def: 0 | 1, help: string): HyperParamSpec {
  return { key, label, kind: 'boolean', default: def, min: 0, max: 1, step: 1, help };
}

/** Cosine-head logit scale used by the losses that work on either head. */
export const SCALE_PARAM: HyperParamSpec = numParam(
  'scale',
  'Cosine scale s',
  30,
  1,
  100,
  1,
  'Multiplies cosine-head outputs before the softmax (ignored on a linear head).',
);

/**
 * Fill missing keys from the schema defaults; reject non-finite values. Unknown keys are passed through.
 * `who` names the loss in the error message.
 */
export function resolveParams(schema: readonly HyperParamSpec[], params: LossParams | undefined, who: string): LossParams {
  const out: LossParams = { ...(params ?? {}) };
  for (const spec of schema) {
    const v = out[spec.key];
    if (v === undefined) out[spec.key] = spec.default;
    else if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`${who}: hyperparameter '${spec.key}' must be a finite number, got ${String(v)}`);
    }
  }
  return out;
}

/** Schema defaults as a params object. */
export function schemaDefaults(schema: readonly HyperParamSpec[]): LossParams {
  const out: LossParams = {};
  for (const spec of schema) out[spec.key] = spec.default;
  return out;
}

/** Throws when the counts don't match the classifier width. */
export function checkClassCount(counts: readonly number[], C: number, who: string): void {
  if (counts.length !== C) {
    throw new Error(`${who}: ctx.counts has ${counts.length} classes but the classifier output has ${C} columns`);
  }
}

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
export function headLogits(output: tf.Tensor2D, params: LossParams, ctx: Pick<LossContext, 'head'>): tf.Tensor2D {
  return ctx.head === 'cosine' ? (tf.mul(output, params.scale) as tf.Tensor2D) : output;
}
