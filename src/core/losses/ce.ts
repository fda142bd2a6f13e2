/**
 * Cross-entropy (softmax) baseline.
 *
 *   L = (1/B) Σ_b −log softmax(o_b)_{y_b},   o = z (linear head)  or  o = scale · cos (cosine head, default 30).
 *
 * A cosine head's outputs lie in [−1, 1]; without a scale the softmax would be nearly uniform, so CE on a
 * cosine head multiplies by `scale` (golden entry 'ce_cosine_s30'). On a linear head `scale` is ignored.
 */
import type { LossDescription, LossExplainer } from './types';
import { SCALE_PARAM } from './schema';
import { neutralForm } from './logit-form';
import { validateCounts } from './perclass';
import { headScale } from './head-scale';

const EXPLAINER: LossExplainer = {
  equations: [
    String.raw`L = -\frac{1}{B}\sum_{b=1}^{B} \log \frac{e^{o_{b,y_b}}}{\sum_{c} e^{o_{b,c}}}`,
    String.raw`o = z = fW + b \ \text{(linear head)}, \qquad o = s \cos\theta \ \text{(cosine head)}`,
  ],
  intuition:
    'Plain cross-entropy treats every training image alike, so a class with 5,000 images sends a hundred times the gradient of a class with 50. The classifier learns the training label prior: its boundaries drift into the tail classes, whose test images then land on the head side. It is the baseline every long-tail loss is measured against.',
  chart: 'per-class',
  chartHint: 'accuracy falls from the head classes (left) to the tail classes (right).',
  params: {
    scale:
      'Only on a cosine head: cosines lie in [−1, 1], so without a scale the softmax stays nearly uniform; 30 is the usual value. Ignored on a linear head.',
  },
  paper: { authors: 'Goodfellow, Bengio, Courville', title: 'Deep Learning (Sec. 6.2.2.3, softmax units)', venue: 'MIT Press', year: 2016 },
};

export const ceLoss: LossDescription = {
  id: 'ce',
  label: 'Cross-entropy',
  summary: 'Plain softmax cross-entropy; every sample counts the same, so the head classes dominate.',
  head: 'any',
  schema: [SCALE_PARAM],
  explainer: EXPLAINER,
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
