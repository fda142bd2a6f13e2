/**
 * Cross-entropy (softmax) baseline.
 *
 *   L = (1/B) Σ_b −log softmax(o_b)_{y_b},   o = z (linear head)  or  o = scale · cos (cosine head, default 30).
 *
 * A cosine head's outputs lie in [−1, 1]; without a scale the softmax would be nearly uniform, so CE on a
 * cosine head multiplies by `scale` (golden entry 'ce_cosine_s30'). On a linear head `scale` is ignored.
 */
import type { LossDef } from './types';
import { SCALE_PARAM, checkClassCount, crossEntropy, headLogits, oneHotF, resolveParams } from './common';

export const ceLoss: LossDef = {
  id: 'ce',
  label: 'Cross-entropy',
  summary: 'Plain softmax cross-entropy; every sample counts the same, so the head classes dominate.',
  head: 'any',
  schema: [SCALE_PARAM],
  compute(inp, params, ctx) {
    const p = resolveParams(this.schema, params, 'CE');
    const C = inp.output.shape[1];
    if (ctx.counts && ctx.counts.length > 0) checkClassCount(ctx.counts, C, 'CE');
    return crossEntropy(headLogits(inp.output, p, ctx), oneHotF(inp.labels, C));
  },
  perClass() {
    return {};
  },
};
