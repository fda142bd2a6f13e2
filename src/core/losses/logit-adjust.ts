/**
 * Logit-adjusted loss — Menon, Jayasumana, Rawat, Jain, Veit, Kumar, "Long-tail learning via logit adjustment",
 * ICLR 2021, Eq. (10):
 *
 *   L = (1/B) Σ_b −log softmax(o_b + τ·log π)_{y_b},   π_c = n_c / N
 *
 * With τ = 1 this equals Balanced Softmax up to a constant shift of all logits (same loss and gradients).
 * o = z on a linear head, scale · cos on a cosine head.
 */
import type { LossDescription, LossExplainer } from './types';
import { SCALE_PARAM, numParam, resolveParams } from './schema';
import { neutralForm } from './logit-form';
import { logPriors } from './perclass';
import { headScale } from './head-scale';

const WHO = 'Logit adjustment';

const EXPLAINER: LossExplainer = {
  equations: [
    String.raw`L = -\frac{1}{B}\sum_b \log \operatorname{softmax}\bigl(o_b + \tau \log \pi\bigr)_{y_b}, \qquad \pi_c = \frac{n_c}{N}`,
  ],
  intuition:
    'The same idea as Balanced Softmax with a knob: τ sets how much of the label prior the training shift takes out of the logits. τ = 1 is consistent for the balanced error (and equals Balanced Softmax up to a constant), τ = 0 is plain cross-entropy, and a larger τ favours the tail further.',
  chart: 'per-class',
  chartHint: 'raising τ lifts the tail classes (right) and lowers the head classes (left).',
  params: {
    tau: 'Strength of the shift τ·log(n_c/N): 0 = cross-entropy, 1 = the Bayes-consistent choice for balanced test data, above 1 over-corrects towards the tail.',
    scale: 'Only on a cosine head: multiplies the cosines before the shift is added. Ignored on a linear head.',
  },
  paper: {
    authors: 'Menon, Jayasumana, Rawat, Jain, Veit, Kumar',
    title: 'Long-tail learning via logit adjustment',
    venue: 'ICLR',
    year: 2021,
  },
};

export const logitAdjustLoss: LossDescription = {
  id: 'logitAdjust',
  label: 'Logit adjustment',
  summary: 'Adds τ·log(class prior) to the logits during training (Menon et al. 2021); τ = 1 matches Balanced Softmax.',
  head: 'any',
  schema: [
    numParam('tau', 'τ (adjustment strength)', 1, 0, 3, 0.05, 'Multiplies log(n_c/N) added to each logit; 0 = plain CE.'),
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
    return { logitShift: logPriors(ctx.counts, p.tau, WHO) };
  },
  logitForm(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    return { ...neutralForm(ctx.counts.length, headScale(p, ctx.head)), logitBias: logPriors(ctx.counts, p.tau, WHO) };
  },
};
