/** tfjs computation of class-balanced CE (../cbce.ts describes it). */
import { checkClassCount } from '../schema';
import { classBalancedWeights } from '../perclass';
import { crossEntropy, headLogits, oneHotF, type LossCompute } from './common';

const WHO = 'Class-balanced CE';

export const computeCbce: LossCompute = (inp, params, ctx) => {
  const C = inp.output.shape[1];
  checkClassCount(ctx.counts, C, WHO);
  const w = classBalancedWeights(ctx.counts, params.beta, WHO);
  return crossEntropy(headLogits(inp.output, params, ctx.head), oneHotF(inp.labels, C), w);
};
