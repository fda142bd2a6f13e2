/** tfjs computation of KPS (+GA), S_b·(s̃_c·cos − Δ_c·[c = y]) (../kps.ts describes it). */
import * as tf from '@tensorflow/tfjs';
import { checkClassCount } from '../schema';
import { kpsGaScale, kpsMargin, kpsScale } from '../perclass';
import { kpsGaOn } from '../kps';
import { crossEntropy, oneHotF, perSample, rowVec, type LossCompute } from './common';

const WHO = 'KPS';

export const computeKps: LossCompute = (inp, params, ctx) => {
  const C = inp.output.shape[1];
  checkClassCount(ctx.counts, C, WHO);
  const oh = oneHotF(inp.labels, C);
  const scaled = tf.mul(inp.output, rowVec(kpsScale(ctx.counts, WHO)));
  const shifted = tf.sub(scaled, tf.mul(oh, rowVec(kpsMargin(ctx.counts, params.maxM, WHO))));
  const S = kpsGaOn(params, ctx) ? perSample(kpsGaScale(ctx.counts, params.s, WHO), inp.labels) : tf.scalar(params.s);
  return crossEntropy(tf.mul(shifted, S) as tf.Tensor2D, oh);
};
