/** tfjs computation of LDAM(-DRW), s·(cos − Δ_y·[c = y]) with deferred class weights (../ldam.ts describes it). */
import * as tf from '@tensorflow/tfjs';
import { checkClassCount } from '../schema';
import { classBalancedWeights, ldamMargin } from '../perclass';
import { crossEntropy, oneHotF, rowVec, type LossCompute } from './common';

const WHO = 'LDAM';

export const computeLdam: LossCompute = (inp, params, ctx) => {
  const C = inp.output.shape[1];
  checkClassCount(ctx.counts, C, WHO);
  const oh = oneHotF(inp.labels, C);
  const margin = rowVec(ldamMargin(ctx.counts, params.maxM, WHO));
  const logits = tf.mul(tf.sub(inp.output, tf.mul(oh, margin)), params.s) as tf.Tensor2D;
  const w = ctx.drwActive ? classBalancedWeights(ctx.counts, params.beta, `${WHO} (DRW weights)`) : undefined;
  return crossEntropy(logits, oh, w);
};
