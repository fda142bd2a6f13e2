/**
 * Cross-entropy (softmax) baseline.
 *
 *   L = (1/B) Σ_b −log softmax(o_b)_{y_b},   o = z (linear head)  or  o = scale · cos (cosine head, default 30).
 *
 * A cosine head's outputs lie in [−1, 1]; without a scale the softmax would be nearly uniform, so CE on a
 * cosine head multiplies by `scale` (golden entry 'ce_cosine_s30'). On a linear head `scale` is ignored.
 */
import type { LossDescription } from './types';
import { SCALE_PARAM } from './schema';
import { neutralForm } from './logit-form';
import { validateCounts } from './perclass';
import { headScale } from './head-scale';

export const ceLoss: LossDescription = {
  id: 'ce',
  label: 'Cross-entropy',
  summary: 'Plain softmax cross-entropy; every sample counts the same, so the head classes dominate.',
  head: 'any',
  schema: [SCALE_PARAM],
  schedule: 'step001',
  usesNoise: false,
  twoStage: false,
  switch: null,
  inferenceScale: (params, head) => headScale(params, head),
  perClass() {
    return {};
  },
  logitForm(params, ctx) {
    validateCounts(ctx.counts, 'CE');
    return neutralForm(ctx.counts.length, headScale(params, ctx.head));
  },
};
