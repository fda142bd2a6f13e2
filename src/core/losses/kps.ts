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
import * as tf from '@tensorflow/tfjs';
import type { LossContext, LossDef, LossParams } from './types';
import { boolParam, checkClassCount, crossEntropy, numParam, oneHotF, perSample, resolveParams, rowVec } from './common';
import { kpsGaScale, kpsMargin, kpsScale } from './perclass';

const WHO = 'KPS';

/** GA in force: param `ga` set AND the GA epoch reached (ctx.gaActive). */
export function kpsGaOn(params: LossParams, ctx: Pick<LossContext, 'gaActive'>): boolean {
  return params.ga >= 0.5 && ctx.gaActive === true;
}

export const kpsLoss: LossDef = {
  id: 'kps',
  label: 'KPS (+GA)',
  summary: 'Per-class cosine scales and tail-sized margins on a cosine head; optional late gradient adjustment (Li et al. 2022).',
  head: 'cosine',
  schema: [
    numParam('maxM', 'Max margin', 0.2, 0, 1, 0.05, 'Margin of the rarest class; others follow the mirrored log-count scale.'),
    numParam('s', 'Scale s', 15, 1, 50, 1, 'Base logit scale (with GA: per-sample scale clamp(s·s̃′_y, s, 50)).'),
    boolParam('ga', 'Gradient adjustment', 1, 'Per-sample scale from the sample’s class, on only from the GA start epoch onward.'),
  ],
  compute(inp, params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    const C = inp.output.shape[1];
    checkClassCount(ctx.counts, C, WHO);
    const oh = oneHotF(inp.labels, C);
    const scaled = tf.mul(inp.output, rowVec(kpsScale(ctx.counts, WHO)));
    const shifted = tf.sub(scaled, tf.mul(oh, rowVec(kpsMargin(ctx.counts, p.maxM, WHO))));
    const S = kpsGaOn(p, ctx) ? perSample(kpsGaScale(ctx.counts, p.s, WHO), inp.labels) : tf.scalar(p.s);
    return crossEntropy(tf.mul(shifted, S) as tf.Tensor2D, oh);
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
};
