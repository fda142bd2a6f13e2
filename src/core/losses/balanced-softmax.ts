/**
 * Balanced Softmax — Ren, Yu, Sheng, Ma, Zhao, Yi, Li, "Balanced Meta-Softmax for Long-Tailed Visual
 * Recognition", NeurIPS 2020, Eq. (4):
 *
 *   L = (1/B) Σ_b −log [ n_{y_b} e^{o_{b,y_b}} / Σ_c n_c e^{o_{b,c}} ] = CE(o + log n)
 *
 * o = z on a linear head, scale · cos on a cosine head. Inference uses the unshifted o.
 */
import type { LossDescription } from './types';
import { SCALE_PARAM } from './schema';
import { neutralForm } from './logit-form';
import { logCounts } from './perclass';
import { headScale } from './head-scale';

const WHO = 'Balanced Softmax';

export const balancedSoftmaxLoss: LossDescription = {
  id: 'balancedSoftmax',
  label: 'Balanced Softmax',
  summary: 'Adds log n_c to every logit during training so the softmax models the long-tailed label prior (Ren et al. 2020).',
  head: 'any',
  schema: [SCALE_PARAM],
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
