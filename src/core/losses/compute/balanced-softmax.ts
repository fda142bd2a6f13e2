/** tfjs computation of Balanced Softmax, CE(o + log n) (../balanced-softmax.ts describes it). */
import * as tf from '@tensorflow/tfjs';
import { checkClassCount } from '../schema';
import { logCounts } from '../perclass';
import { crossEntropy, headLogits, oneHotF, rowVec, type LossCompute } from './common';

const WHO = 'Balanced Softmax';

export const computeBalancedSoftmax: LossCompute = (inp, params, ctx) => {
  const C = inp.output.shape[1];
  checkClassCount(ctx.counts, C, WHO);
  const logits = tf.add(headLogits(inp.output, params, ctx.head), rowVec(logCounts(ctx.counts, WHO))) as tf.Tensor2D;
  return crossEntropy(logits, oneHotF(inp.labels, C));
};
