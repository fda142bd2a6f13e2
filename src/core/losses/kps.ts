/**
 * KPS — Li, Cheung, Lu, "Key Point Sensitive Loss for Long-tailed Visual Recognition", IEEE TPAMI 2022.
 * As computed by the authors' KPSLoss (see methods.md, "KPS"):
 *
 *   s̃_c  = log(50·n_c / n_min) / log 50                      (≥ 1, largest for the head)
 *   s̃'_c = s̃ mirrored over the count ranking (descending count, ties by class index — a stable sort; equals the
 *          authors' torch.flip when classes are indexed head first, but works for any class order)
 *   Δ_c  = maxM · s̃'_c / max s̃'                             (largest for the tail)
 *   o_{bc} = S_b · (s̃_c·cos_{bc} − Δ_c·[c = y_b]),   L = CE(o)
 *   S_b = s without gradient adjustment;  with GA:  S_b = clamp(s · s̃'_{y_b}, s, 50)
 *
 * Gradient adjustment (GA) is ON only when the hyperparameter `ga` is 1 AND ctx.gaActive is true, i.e. the
 * option is set and the current epoch ≥ the GA start epoch (120 of 200 in the paper; the trainer sets gaActive).
 * Defaults maxM 0.2, s 15. Defined on the cosine head.
 */
import type { LossContext, LossDescription, LossParams } from './types';
import { boolParam, numParam, resolveParams } from './schema';
import { neutralForm } from './logit-form';
import { kpsGaScale, kpsMargin, kpsScale } from './perclass';

const WHO = 'KPS';

/** GA in force: param `ga` set AND the GA epoch reached (ctx.gaActive). */
export function kpsGaOn(params: LossParams, ctx: Pick<LossContext, 'gaActive'>): boolean {
  return params.ga >= 0.5 && ctx.gaActive === true;
}

export const kpsLoss: LossDescription = {
  id: 'kps',
  label: 'KPS (+GA)',
  summary: 'Per-class cosine scales and tail-sized margins on a cosine head; optional late gradient adjustment (Li et al. 2022).',
  head: 'cosine',
  schema: [
    numParam('maxM', 'Max margin', 0.2, 0, 1, 0.05, 'Margin of the rarest class; others follow the mirrored log-count scale.'),
    numParam('s', 'Scale s', 15, 1, 50, 1, 'Base logit scale (with GA: per-sample scale clamp(s·s̃′_y, s, 50)).'),
    boolParam('ga', 'Gradient adjustment', 1, 'Per-sample scale from the sample’s class, on only from the GA start epoch onward.'),
  ],
  schedule: 'step01',
  usesNoise: false,
  twoStage: false,
  switch: { kind: 'ga', param: 'ga' },
  inferenceScale(params, head) {
    return head === 'cosine' ? resolveParams(this.schema, params, WHO).s : 1;
  },
  perClass(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    const out: Record<string, number[]> = {
      scale: kpsScale(ctx.counts, WHO),
      margin: kpsMargin(ctx.counts, p.maxM, WHO),
    };
    if (kpsGaOn(p, ctx)) out.gaScale = kpsGaScale(ctx.counts, p.s, WHO);
    return out;
  },
  logitForm(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    const base = neutralForm(ctx.counts.length, p.s);
    return {
      ...base,
      outScale: kpsScale(ctx.counts, WHO),
      targetMargin: kpsMargin(ctx.counts, p.maxM, WHO),
      sampleScale: kpsGaOn(p, ctx) ? kpsGaScale(ctx.counts, p.s, WHO) : base.sampleScale,
    };
  },
};
