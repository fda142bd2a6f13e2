/**
 * Mixup of a loss, as the authors' scripts compute it (GCLLoss utils.py `mixup_criterion`, line 139):
 * λ·L(output, y_a) + (1 − λ)·L(output, y_b) — two separate calls of the loss, so GCL draws its noise twice
 * (one ε per call). The images were mixed before the forward pass; this is the loss side only.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossId, LossParams } from '../types';
import type { ComputeContext, LossInputs } from './common';
import { computeLoss } from './index';
import type { NoiseSource } from './noise';

export interface MixTerms {
  /** Labels of the second image of each pair. */
  labels: tf.Tensor1D;
  /** Weight of the first term, in [0, 1]. */
  lambda: number;
  /** Noise of the second call (GCL). */
  noise: NoiseSource;
}

/** The loss of a batch, mixed when `mix` is given (first term: `inp.labels` with `ctx.noise`). */
export function computeMixedLoss(id: LossId, inp: LossInputs, params: LossParams, ctx: ComputeContext, mix?: MixTerms): tf.Scalar {
  if (!mix) return computeLoss(id, inp, params, ctx);
  if (!(mix.lambda >= 0 && mix.lambda <= 1)) throw new Error(`mixup λ must be in [0, 1], got ${mix.lambda}`);
  const a = computeLoss(id, inp, params, ctx);
  const b = computeLoss(id, { ...inp, labels: mix.labels }, params, { ...ctx, noise: mix.noise });
  return tf.add(tf.mul(a, mix.lambda), tf.mul(b, 1 - mix.lambda)) as tf.Scalar;
}
