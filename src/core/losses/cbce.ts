/**
 * Class-balanced cross-entropy — Cui, Jia, Lin, Song, Belongie, "Class-Balanced Loss Based on Effective Number
 * of Samples", CVPR 2019, Eq. (class-balanced softmax CE):
 *
 *   w_c = (1 − β) / (1 − β^{n_c}),  normalised so that Σ_c w_c = C;
 *   L = Σ_b w_{y_b} · (−log softmax(o_b)_{y_b}) / Σ_b w_{y_b}     (PyTorch F.cross_entropy(weight=w) reduction)
 *
 * The weights are in force from epoch 0 (compare LDAM-DRW, which switches the same weights on late).
 * o = z on a linear head, scale · cos on a cosine head.
 */
import type { LossDef } from './types';
import { SCALE_PARAM, checkClassCount, crossEntropy, headLogits, numParam, oneHotF, resolveParams } from './common';
import { classBalancedWeights } from './perclass';

const WHO = 'Class-balanced CE';

export const cbceLoss: LossDef = {
  id: 'cbce',
  label: 'Class-balanced CE',
  summary: 'Cross-entropy weighted per class by the inverse effective number of samples (Cui et al. 2019).',
  head: 'any',
  schema: [
    numParam(
      'beta',
      'β (effective number)',
      0.9999,
      0.9,
      0.99999,
      0.0001,
      'Effective-number β: w_c ∝ (1−β)/(1−β^{n_c}); closer to 1 = stronger re-weighting.',
    ),
    SCALE_PARAM,
  ],
  compute(inp, params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    const C = inp.output.shape[1];
    checkClassCount(ctx.counts, C, WHO);
    const w = classBalancedWeights(ctx.counts, p.beta, WHO);
    return crossEntropy(headLogits(inp.output, p, ctx), oneHotF(inp.labels, C), w);
  },
  perClass(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    return { weights: classBalancedWeights(ctx.counts, p.beta, WHO) };
  },
};
