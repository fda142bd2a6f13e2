/** tfjs computation of cross-entropy (../ce.ts describes it). */
import { checkClassCount } from '../schema';
import { crossEntropy, headLogits, oneHotF, type LossCompute } from './common';

export const computeCe: LossCompute = (inp, params, ctx) => {
  const C = inp.output.shape[1];
  if (ctx.counts && ctx.counts.length > 0) checkClassCount(ctx.counts, C, 'CE');
  return crossEntropy(headLogits(inp.output, params, ctx.head), oneHotF(inp.labels, C));
};
