/**
 * LDAM-DRW — Cao, Wei, Gaidon, Arechiga, Ma, "Learning Imbalanced Datasets with Label-Distribution-Aware Margin
 * Loss", NeurIPS 2019, Eq. (13) with the deferred re-weighting (DRW) schedule of Sec. 3.2:
 *
 *   Δ_c = maxM · n_c^{−1/4} / max_k n_k^{−1/4}            (largest margin for the rarest class)
 *   o_{bc} = s · (cos_{bc} − Δ_{y_b}·[c = y_b])
 *   L = CE(o)                                              before the DRW epoch
 *   L = Σ_b w_{y_b}·nll_b / Σ_b w_{y_b},  w_c = (1−β)/(1−β^{n_c}) normalised to Σ w = C   once ctx.drwActive
 *
 * Defaults follow the authors' code: maxM 0.5, s 30, β 0.9999 (DRW from epoch 160 of 200 — the trainer sets
 * ctx.drwActive). Defined on the cosine (normalised) head.
 */
import type { LossDescription, LossExplainer } from './types';
import { numParam, resolveParams } from './schema';
import { neutralForm } from './logit-form';
import { classBalancedWeights, ldamMargin } from './perclass';

const WHO = 'LDAM';

const EXPLAINER: LossExplainer = {
  equations: [
    String.raw`\Delta_c = \mathrm{maxM}\cdot\frac{n_c^{-1/4}}{\max_k n_k^{-1/4}}`,
    String.raw`o_{b,c} = s\,\bigl(\cos\theta_{b,c} - \Delta_{y_b}[c = y_b]\bigr), \qquad L = \mathrm{CE}(o)`,
    String.raw`\text{DRW:}\quad w_c = \frac{1-\beta}{1-\beta^{n_c}},\ \textstyle\sum_c w_c = C, \qquad L = \frac{\sum_b w_{y_b}\,\mathrm{nll}_b}{\sum_b w_{y_b}}`,
  ],
  intuition:
    'A sample only counts as right when its cosine to its own class beats the others by a margin Δ, and rare classes get the larger margins (∝ n^−1/4): a class seen rarely generalises worse and needs more room around it. Deferred re-weighting (DRW) first learns the features with the margins alone and only late in training (epoch 160 of 200 in the paper) weights each class by its inverse effective number, so the classifier stops favouring the head.',
  chart: 'groups',
  chartHint: 'the few-shot line climbs, most steeply after the DRW switch (marked on the time axis).',
  params: {
    maxM: 'The margin of the rarest class; the others get maxM·(n_min/n_c)^{1/4}. Larger = more room around the tail, but too large stops the tail from fitting.',
    s: 'Multiplies the margin-shifted cosines before the softmax; too small and the softmax cannot become confident, too large and the margins hardly matter.',
    beta: 'Effective-number β of the DRW class weights (1−β)/(1−β^{n_c}); closer to 1 = closer to inverse class frequency. Used only once DRW is on.',
  },
  paper: {
    authors: 'Cao, Wei, Gaidon, Arechiga, Ma',
    title: 'Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss',
    venue: 'NeurIPS',
    year: 2019,
  },
};

export const ldamLoss: LossDescription = {
  id: 'ldam',
  label: 'LDAM-DRW',
  summary:
    'Label-distribution-aware margins (∝ n^−1/4) on a cosine head, with class re-weighting deferred to late training (Cao et al. 2019).',
  head: 'cosine',
  schema: [
    numParam('maxM', 'Max margin', 0.5, 0, 1, 0.05, 'Margin of the rarest class (others scale as n_c^−1/4).'),
    numParam('s', 'Scale s', 30, 1, 64, 1, 'Logit scale applied to the margin-shifted cosines.'),
    numParam('beta', 'DRW β', 0.9999, 0.9, 0.99999, 0.0001, 'Effective-number β of the deferred class weights (used once DRW is on).'),
  ],
  explainer: EXPLAINER,
  schedule: 'step001',
  usesNoise: false,
  twoStage: false,
  switch: { kind: 'drw', param: null },
  inferenceScale(params, head) {
    return head === 'cosine' ? resolveParams(this.schema, params, WHO).s : 1;
  },
  perClass(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    const out: Record<string, number[]> = { margin: ldamMargin(ctx.counts, p.maxM, WHO) };
    if (ctx.drwActive) out.weights = classBalancedWeights(ctx.counts, p.beta, `${WHO} (DRW weights)`);
    return out;
  },
  logitForm(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    return {
      ...neutralForm(ctx.counts.length, p.s),
      targetMargin: ldamMargin(ctx.counts, p.maxM, WHO),
      classWeight: ctx.drwActive ? classBalancedWeights(ctx.counts, p.beta, `${WHO} (DRW weights)`) : null,
    };
  },
};
