/** tfjs computation of the logit-adjusted loss, CE(o + τ·log π) (../logit-adjust.ts describes it). */
import * as tf from '@tensorflow/tfjs';
import { checkClassCount } from '../schema';
import { logPriors } from '../perclass';
import { crossEntropy, headLogits, oneHotF, rowVec, type LossCompute } from './common';

const WHO = 'Logit adjustment';

export const computeLogitAdjust: LossCompute = (inp, params, ctx) => {
  const C = inp.output.shape[1];
  checkClassCount(ctx.counts, C, WHO);
  const logits = tf.add(headLogits(inp.output, params, ctx.head), rowVec(logPriors(ctx.counts, params.tau, WHO))) as tf.Tensor2D;
  return crossEntropy(logits, oneHotF(inp.labels, C));
};
