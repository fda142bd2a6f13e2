/**
 * Logit-adjusted loss — Menon, Jayasumana, Rawat, Jain, Veit, Kumar, "Long-tail learning via logit adjustment",
 * ICLR 2021, Eq. (10):
 *
 *   L = (1/B) Σ_b −log softmax(o_b + τ·log π)_{y_b},   π_c = n_c / N
 *
 * With τ = 1 this equals Balanced Softmax up to a constant shift of all logits (same loss and gradients).
 * o = z on a linear head, scale · cos on a cosine head.
 */
import type { LossDescription } from './types';
import { SCALE_PARAM, numParam, resolveParams } from './schema';
import { neutralForm } from './logit-form';
import { logPriors } from './perclass';
import { headScale } from './head-scale';

const WHO = 'Logit adjustment';

export const logitAdjustLoss: LossDescription = {
  id: 'logitAdjust',
  label: 'Logit adjustment',
  summary: 'Adds τ·log(class prior) to the logits during training (Menon et al. 2021); τ = 1 matches Balanced Softmax.',
  head: 'any',
  schema: [
    numParam('tau', 'τ (adjustment strength)', 1, 0, 3, 0.05, 'Multiplies log(n_c/N) added to each logit; 0 = plain CE.'),
    SCALE_PARAM,
  ],
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
