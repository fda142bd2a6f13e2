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
import type { LossDescription } from './types';
import { SCALE_PARAM, numParam, resolveParams } from './schema';
import { neutralForm } from './logit-form';
import { classBalancedWeights } from './perclass';
import { headScale } from './head-scale';

const WHO = 'Class-balanced CE';

export const cbceLoss: LossDescription = {
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
  schedule: 'step001',
  usesNoise: false,
  twoStage: false,
  switch: null,
  inferenceScale: (params, head) => headScale(params, head),
  perClass(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    return { weights: classBalancedWeights(ctx.counts, p.beta, WHO) };
  },
  logitForm(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    return { ...neutralForm(ctx.counts.length, headScale(p, ctx.head)), classWeight: classBalancedWeights(ctx.counts, p.beta, WHO) };
  },
};
