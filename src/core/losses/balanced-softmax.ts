/**
 * Balanced Softmax — Ren, Yu, Sheng, Ma, Zhao, Yi, Li, "Balanced Meta-Softmax for Long-Tailed Visual
 * Recognition", NeurIPS 2020, Eq. (4):
 *
 *   L = (1/B) Σ_b −log [ n_{y_b} e^{o_{b,y_b}} / Σ_c n_c e^{o_{b,c}} ] = CE(o + log n)
 *
 * o = z on a linear head, scale · cos on a cosine head. Inference uses the unshifted o.
 */
import type { LossDef } from './types';
import { SCALE_PARAM, checkClassCount, crossEntropy, headLogits, oneHotF, resolveParams, rowVec } from './common';
import { logCounts } from './perclass';
import * as tf from '@tensorflow/tfjs';

const WHO = 'Balanced Softmax';

export const balancedSoftmaxLoss: LossDef = {
  id: 'balancedSoftmax',
  label: 'Balanced Softmax',
  summary: 'Adds log n_c to every logit during training so the softmax models the long-tailed label prior (Ren et al. 2020).',
  head: 'any',
  schema: [SCALE_PARAM],
  compute(inp, params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    const C = inp.output.shape[1];
    checkClassCount(ctx.counts, C, WHO);
    const logits = tf.add(headLogits(inp.output, p, ctx), rowVec(logCounts(ctx.counts, WHO))) as tf.Tensor2D;
    return crossEntropy(logits, oneHotF(inp.labels, C));
  },
  perClass(_params, ctx) {
    return { logitShift: logCounts(ctx.counts, WHO) };
  },
};
