/**
 * FBL — Li, Cheung, Lu, "Feature-Balanced Loss for Long-Tailed Visual Recognition", ICME 2022.
 * As computed by the authors' code (methods.md, "FBL"):
 *
 *   d̂_c = (log n_max − log n_c) / max_k(log n_max − log n_k)
 *   ẑ_{bc} = z_{bc} − α(t) · A · d̂_c / (‖f_b‖₂ + 1e-12),   L = CE(ẑ)
 *
 * The gradient flows through ‖f_b‖ (this is what grows the tail feature norms), so `inp.features` must be the
 * differentiable pooled features. α(t) = (t/(T−10))² comes from the trainer (ctx.alpha); A (λ in the authors'
 * code) defaults to 60. Defined on the linear head; validation uses plain CE (α = 0).
 */
import * as tf from '@tensorflow/tfjs';
import type { LossDef } from './types';
import { checkClassCount, crossEntropy, numParam, oneHotF, resolveParams, rowVec } from './common';
import { logGapNormalized } from './perclass';

const WHO = 'FBL';

export const fblLoss: LossDef = {
  id: 'fbl',
  label: 'Feature-balanced loss',
  summary: 'Subtracts a class-dependent stimulus α·A·d̂_c/‖f‖ from the logits so tail samples must grow larger features (Li et al. 2022).',
  head: 'linear',
  schema: [numParam('A', 'Stimulus strength A (λ)', 60, 0, 200, 1, 'Scale of the tail stimulus α·A·d̂_c / ‖f‖ (60 for CIFAR-sized data).')],
  compute(inp, params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    const C = inp.output.shape[1];
    checkClassCount(ctx.counts, C, WHO);
    const dHat = logGapNormalized(ctx.counts, WHO);
    const oh = oneHotF(inp.labels, C);
    const k = ctx.alpha * p.A;
    if (!Number.isFinite(k)) throw new Error(`${WHO}: α·A must be finite (α = ${ctx.alpha}, A = ${p.A})`);
    if (k === 0) return crossEntropy(inp.output, oh);
    // ‖f_b‖ = sqrt(Σ f² + 1e-24): identical value in float32 for any non-zero row, and a zero (not NaN)
    // gradient for an all-zero feature row (matches PyTorch's norm subgradient).
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(inp.features), 1, true), 1e-24));
    const stim = tf.div(rowVec(dHat.map((d) => k * d)), tf.add(norm, 1e-12));
    return crossEntropy(tf.sub(inp.output, stim) as tf.Tensor2D, oh);
  },
  perClass(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    return { stimulus: logGapNormalized(ctx.counts, WHO).map((d) => ctx.alpha * p.A * d) };
  },
};
