/**
 * Balanced Softmax — Ren, Yu, Sheng, Ma, Zhao, Yi, Li, "Balanced Meta-Softmax for Long-Tailed Visual
 * Recognition", NeurIPS 2020, Eq. (4):
 *
 *   L = (1/B) Σ_b −log [ n_{y_b} e^{o_{b,y_b}} / Σ_c n_c e^{o_{b,c}} ] = CE(o + log n)
 *
 * o = z on a linear head, scale · cos on a cosine head. Inference uses the unshifted o.
 */
import type { LossDescription, LossExplainer } from './types';
import { SCALE_PARAM } from './schema';
import { neutralForm } from './logit-form';
import { logCounts } from './perclass';
import { headScale } from './head-scale';

const WHO = 'Balanced Softmax';

const EXPLAINER: LossExplainer = {
  equations: [
    String.raw`L = -\frac{1}{B}\sum_b \log \frac{n_{y_b}\,e^{o_{b,y_b}}}{\sum_c n_c\,e^{o_{b,c}}} = \mathrm{CE}(o + \log n)`,
    String.raw`\text{test:}\quad \hat y = \arg\max_c\, o_c`,
  ],
  intuition:
    'Training labels follow the long-tailed prior, test labels a balanced one. Adding log n_c to every logit while training lets the prior explain the imbalance, so the logits themselves learn the balanced posterior; at test time the shift is dropped. A head class must therefore win by a larger raw margin during training.',
  chart: 'per-class',
  chartHint: 'compared with cross-entropy the slope from head (left) to tail (right) is much flatter.',
  params: {
    scale:
      'Only on a cosine head: multiplies the cosines before log n_c is added (the shift is in logit units, so the scale sets how strong it is relative to the cosines). Ignored on a linear head.',
  },
  paper: {
    authors: 'Ren, Yu, Sheng, Ma, Zhao, Yi, Li',
    title: 'Balanced Meta-Softmax for Long-Tailed Visual Recognition',
    venue: 'NeurIPS',
    year: 2020,
  },
};

export const balancedSoftmaxLoss: LossDescription = {
  id: 'balancedSoftmax',
  label: 'Balanced Softmax',
  summary: 'Adds log n_c to every logit during training so the softmax models the long-tailed label prior (Ren et al. 2020).',
  head: 'any',
  schema: [SCALE_PARAM],
  explainer: EXPLAINER,
  schedule: 'step001',
  usesNoise: false,
  twoStage: false,
  switch: null,
  inferenceScale: (params, head) => headScale(params, head),
  perClass(_params, ctx) {
    return { logitShift: logCounts(ctx.counts, WHO) };
  },
  logitForm(params, ctx) {
    return { ...neutralForm(ctx.counts.length, headScale(params, ctx.head)), logitBias: logCounts(ctx.counts, WHO) };
  },
};
