/**
 * FBL — Li, Cheung, Lu, "Feature-Balanced Loss for Long-Tailed Visual Recognition", ICME 2022.
 * As computed by the authors' code (docs/losses.md, "The losses"):
 *
 *   d̂_c = (log n_max − log n_c) / max_k(log n_max − log n_k)
 *   ẑ_{bc} = z_{bc} − α(t) · A · d̂_c / (‖f_b‖₂ + 1e-12),   L = CE(ẑ)
 *
 * The gradient flows through ‖f_b‖ (this is what grows the tail feature norms), so the compute needs the
 * differentiable pooled features. α(t) = (t/(T−10))² comes from the trainer (ctx.alpha); A (λ in the authors'
 * code) defaults to 60. Defined on the linear head; validation uses plain CE (α = 0).
 */
import type { LossContext, LossDescription, LossParams, LossExplainer } from './types';
import { numParam, resolveParams } from './schema';
import { neutralForm } from './logit-form';
import { logGapNormalized } from './perclass';

const WHO = 'FBL';

/** α·A, the stimulus numerator in force (throws when not finite). */
export function fblStrength(params: LossParams, ctx: Pick<LossContext, 'alpha'>): number {
  const k = ctx.alpha * params.A;
  if (!Number.isFinite(k)) throw new Error(`${WHO}: α·A must be finite (α = ${ctx.alpha}, A = ${params.A})`);
  return k;
}

const EXPLAINER: LossExplainer = {
  equations: [
    String.raw`\hat d_c = \frac{\log n_{\max} - \log n_c}{\max_k (\log n_{\max} - \log n_k)} \in [0, 1]`,
    String.raw`\hat z_{b,c} = z_{b,c} - \alpha(t)\,\frac{A\,\hat d_c}{\lVert f_b \rVert_2}, \qquad L = \mathrm{CE}(\hat z)`,
    String.raw`\alpha(t) = \Bigl(\frac{t}{T - 10}\Bigr)^{2}`,
  ],
  intuition:
    'Under cross-entropy the tail classes end up with small feature norms, and a small feature gives small, unconfident logits. FBL lowers the logit of every rare class by a stimulus α·A·d̂_c/‖f‖ that shrinks as the feature grows, so to predict a tail class the network has to make that feature large. The curriculum α(t) starts at 0, so the features are learned first and the stimulus rises quadratically.',
  chart: 'feature-norm',
  chartHint: 'the tail classes’ feature norms climb as α(t) rises, where under cross-entropy they stay below the head’s.',
  params: {
    A: 'Strength A of the stimulus (λ in the authors’ code): 60 for CIFAR-sized data, larger for ImageNet-sized data. 0 = cross-entropy.',
  },
  paper: {
    authors: 'Li, Cheung, Jiang',
    title: 'Feature-Balanced Loss for Long-Tailed Visual Recognition',
    venue: 'ICME',
    year: 2022,
  },
};

export const fblLoss: LossDescription = {
  id: 'fbl',
  label: 'Feature-balanced loss',
  summary: 'Subtracts a class-dependent stimulus α·A·d̂_c/‖f‖ from the logits so tail samples must grow larger features (Li et al. 2022).',
  head: 'linear',
  schema: [numParam('A', 'Stimulus strength A (λ)', 60, 0, 200, 1, 'Scale of the tail stimulus α·A·d̂_c / ‖f‖ (60 for CIFAR-sized data).')],
  explainer: EXPLAINER,
  schedule: 'step001',
  usesNoise: false,
  twoStage: false,
  switch: null,
  inferenceScale: () => 1,
  perClass(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    return { stimulus: logGapNormalized(ctx.counts, WHO).map((d) => ctx.alpha * p.A * d) };
  },
  logitForm(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    const k = fblStrength(p, ctx);
    const base = neutralForm(ctx.counts.length, 1);
    return k === 0 ? base : { ...base, featureStimulus: logGapNormalized(ctx.counts, WHO).map((d) => k * d) };
  },
};
