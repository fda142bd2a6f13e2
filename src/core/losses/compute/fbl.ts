/** tfjs computation of FBL, CE(z − α·A·d̂_c/‖f‖) with the gradient through ‖f‖ (../fbl.ts describes it). */
import * as tf from '@tensorflow/tfjs';
import { checkClassCount } from '../schema';
import { logGapNormalized } from '../perclass';
import { fblStrength } from '../fbl';
import { crossEntropy, oneHotF, rowVec, type LossCompute } from './common';

const WHO = 'FBL';

export const computeFbl: LossCompute = (inp, params, ctx) => {
  const C = inp.output.shape[1];
  checkClassCount(ctx.counts, C, WHO);
  const dHat = logGapNormalized(ctx.counts, WHO);
  const oh = oneHotF(inp.labels, C);
  const k = fblStrength(params, ctx);
  if (k === 0) return crossEntropy(inp.output, oh);
  // ‖f_b‖ = sqrt(Σ f² + 1e-24): identical value in float32 for any non-zero row, and a zero (not NaN)
  // gradient for an all-zero feature row (matches PyTorch's norm subgradient).
  const norm = tf.sqrt(tf.add(tf.sum(tf.square(inp.features), 1, true), 1e-24));
  const stim = tf.div(rowVec(dHat.map((d) => k * d)), tf.add(norm, 1e-12));
  return crossEntropy(tf.sub(inp.output, stim) as tf.Tensor2D, oh);
};
