/**
 * GCL — Li, Cheung, Lu, "Long-tailed Visual Recognition via Gaussian Clouded Logit Adjustment", CVPR 2022.
 * As computed by the authors' GCLLoss (methods.md, "GCL"):
 *
 *   d̂_c = (log n_max − log n_c) / max_k(log n_max − log n_k)
 *   ε_{bc} ~ N(0, σ = 1/3) clipped to [−1, 1], drawn fresh per call
 *   c̃_{bc} = cos_{bc} − noiseMul · |ε_{bc}| · d̂_c          (every class, always downward)
 *   o_{bc} = s · (c̃_{bc} − m·[c = y_b])
 *   stage 1:  L = CE(o)                                     (defaults s 30, m 0, noiseMul 0.5, γ 0)
 *   stage 2:  L = (1/B) Σ_b (1 − p_b)^γ · nll_b,  p_b = exp(−nll_b) treated as a constant (no gradient through
 *             p — the golden gradients confirm this), defaults GCL_STAGE2_PARAMS: s 20, m 0.1, noiseMul 0.5, γ 1.
 *
 * Chartable: cloud amplitude noiseMul·d̂_c (cosine units) and s·noiseMul·d̂_c (logit units). The expected
 * downward shift is amplitude·σ·√(2/π). Defined on the cosine head.
 */
import type { LossDescription } from './types';
import { numParam, resolveParams } from './schema';
import { neutralForm } from './logit-form';
import { logGapNormalized } from './perclass';

const WHO = 'GCL';

/** Stage-2 (classifier re-training) hyperparameters of the authors' scripts. */
export type GclParams = { s: number; m: number; noiseMul: number; focalGamma: number };
export const GCL_STAGE2_PARAMS: Readonly<GclParams> = Object.freeze({ s: 20, m: 0.1, noiseMul: 0.5, focalGamma: 1 });

export const gclLoss: LossDescription = {
  id: 'gcl',
  label: 'GCL (Gaussian clouded logit)',
  summary:
    'Pushes each cosine down by a random Gaussian “cloud” sized by the class rarity, so tail classes learn larger margins (Li et al. 2022).',
  head: 'cosine',
  schema: [
    numParam('s', 'Scale s', 30, 1, 64, 1, 'Logit scale (stage 1: 30, stage 2: 20).'),
    numParam('m', 'Margin m', 0, 0, 0.5, 0.01, 'Fixed margin subtracted from the target cosine (stage 1: 0, stage 2: 0.1).'),
    numParam('noiseMul', 'Cloud size', 0.5, 0, 2, 0.05, 'Amplitude of the Gaussian cloud of the rarest class (others ∝ d̂_c).'),
    numParam('focalGamma', 'Focal γ', 0, 0, 5, 0.5, 'Focal exponent on (1 − p), p without gradient (stage 1: 0, stage 2: 1).'),
  ],
  schedule: 'step01',
  usesNoise: true,
  twoStage: true,
  switch: null,
  inferenceScale(params, head) {
    return head === 'cosine' ? resolveParams(this.schema, params, WHO).s : 1;
  },
  perClass(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    const dHat = logGapNormalized(ctx.counts, WHO);
    return {
      cloudAmplitude: dHat.map((d) => p.noiseMul * d),
      cloudLogit: dHat.map((d) => p.s * p.noiseMul * d),
    };
  },
  logitForm(params, ctx) {
    const p = resolveParams(this.schema, params, WHO);
    return {
      ...neutralForm(ctx.counts.length, p.s),
      noiseAmp: logGapNormalized(ctx.counts, WHO).map((d) => p.noiseMul * d),
      targetMargin: new Array<number>(ctx.counts.length).fill(p.m),
      focalGamma: p.focalGamma,
      usesNoise: true,
    };
  },
};
