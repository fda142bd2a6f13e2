/**
 * Logit-adjusted loss — Menon, Jayasumana, Rawat, Jain, Veit, Kumar, "Long-tail learning via logit adjustment",
 * ICLR 2021, Eq. (10):
 *
 *   L = (1/B) Σ_b −log softmax(o_b + τ·log π)_{y_b},   π_c = n_c / N
 *
 * With τ = 1 this equals Balanced Softmax up to a constant shift of all logits (same loss and gradients).
 * o = z on a linear head, scale · cos on a cosine head.
 */
import type { LossDef } from './types';
import { SCALE_PARAM, checkClassCount, crossEntropy, headLogits, numParam, oneHotF, resolveParams, rowVec } from './common';
import { logPriors } from './perclass';
import * as tf from '@tensorflow/tfjs';

const WHO = 'Logit adjustment';

export const logitAdjustLoss: LossDef = {
  id: 'logitAdjust',
  label: 'Logit adjustment',
  summary: 'Adds τ·log(class prior) to the logits during training (Menon et al. 2021); τ = 1 matches Balanced Softmax.',
  head: 'any',
  schema: [
    numParam('tau', 'τ (adjustment strength)', 1, 0, 3, 0.05, 'Multiplies log(n_c/N) added to each logit; 0 = plain CE.'),
    SCALE_PARAM,
  ],
  compute(inp, params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    const C = inp.output.shape[1];
    checkClassCount(ctx.counts, C, WHO);
    const logits = tf.add(headLogits(inp.output, p, ctx), rowVec(logPriors(ctx.counts, p.tau, WHO))) as tf.Tensor2D;
    return crossEntropy(logits, oneHotF(inp.labels, C));
  },
  perClass(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    return { logitShift: logPriors(ctx.counts, p.tau, WHO) };
  },
};
