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
import type { LossDescription, LossExplainer } from './types';
import { SCALE_PARAM, numParam, resolveParams } from './schema';
import { neutralForm } from './logit-form';
import { classBalancedWeights } from './perclass';
import { headScale } from './head-scale';

const WHO = 'Class-balanced CE';

const EXPLAINER: LossExplainer = {
  equations: [
    String.raw`E_n = \frac{1-\beta^{n}}{1-\beta}, \qquad w_c = \frac{1-\beta}{1-\beta^{n_c}},\ \textstyle\sum_c w_c = C`,
    String.raw`L = \frac{\sum_b w_{y_b}\,\mathrm{nll}_b}{\sum_b w_{y_b}}, \qquad \mathrm{nll}_b = -\log \operatorname{softmax}(o_b)_{y_b}`,
  ],
  intuition:
    'Images of one class overlap in what they teach, so the value of n images grows more slowly than n: the effective number (1−β^n)/(1−β). Weighting each class by its inverse effective number gives tail images more of the gradient from the first epoch on. β → 0 is plain cross-entropy, β → 1 inverse class frequency.',
  chart: 'groups',
  chartHint: 'the few-shot line starts higher than under cross-entropy, sometimes at the cost of the many-shot line.',
  params: {
    beta: 'Effective-number β: the closer to 1, the closer the weights get to 1/n_c (stronger re-weighting of the tail).',
    scale: 'Only on a cosine head: multiplies the cosines before the softmax. Ignored on a linear head.',
  },
  paper: {
    authors: 'Cui, Jia, Lin, Song, Belongie',
    title: 'Class-Balanced Loss Based on Effective Number of Samples',
    venue: 'CVPR',
    year: 2019,
  },
};

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
  explainer: EXPLAINER,
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
