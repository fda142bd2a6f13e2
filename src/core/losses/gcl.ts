/**
 * GCL — Li, Cheung, Lu, "Long-tailed Visual Recognition via Gaussian Clouded Logit Adjustment", CVPR 2022.
 * As computed by the authors' GCLLoss (docs/losses.md, "The losses"):
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
import type { LossDescription, LossExplainer } from './types';
import { numParam, resolveParams } from './schema';
import { neutralForm } from './logit-form';
import { logGapNormalized } from './perclass';

const WHO = 'GCL';

/** Stage-2 (classifier re-training) hyperparameters of the authors' scripts. */
export type GclParams = { s: number; m: number; noiseMul: number; focalGamma: number };
export const GCL_STAGE2_PARAMS: Readonly<GclParams> = Object.freeze({ s: 20, m: 0.1, noiseMul: 0.5, focalGamma: 1 });

const EXPLAINER: LossExplainer = {
  equations: [
    String.raw`\varepsilon_{b,c} \sim \mathcal{N}\bigl(0, \sigma = \tfrac{1}{3}\bigr) \text{ clipped to } [-1, 1], \qquad \hat d_c = \frac{\log n_{\max} - \log n_c}{\max_k (\log n_{\max} - \log n_k)}`,
    String.raw`\tilde c_{b,c} = \cos\theta_{b,c} - \mathrm{noiseMul}\cdot\lvert\varepsilon_{b,c}\rvert\cdot\hat d_c`,
    String.raw`o_{b,c} = s\,\bigl(\tilde c_{b,c} - m\,[c = y_b]\bigr), \qquad L = \mathrm{CE}(o)`,
  ],
  intuition:
    'Every class’ cosine is pulled down by a random amount drawn afresh at each step, a “cloud” that is largest for the rarest class (d̂_c = 1) and absent for the head (d̂_c = 0). To stay right under that noise a tail sample has to sit deeper inside its class, with a wider angular margin; and because the tail logits of head samples are lowered too, head samples push the tail weights away less (less over-suppression of the tail).',
  chart: 'gcl-cloud',
  chartHint: 'the cloud amplitude and the sampled shifts grow from the head (left) to the tail (right).',
  params: {
    s: 'Logit scale applied to the clouded cosines (30 in stage 1, 20 in stage 2).',
    m: 'A fixed margin subtracted from the own-class cosine (0 in stage 1, 0.1 in stage 2).',
    noiseMul: 'Size of the cloud of the rarest class; the others scale with d̂_c. 0 = a cosine classifier with plain cross-entropy.',
    focalGamma:
      'Focal exponent γ on (1 − p) with p treated as a constant: down-weights samples already classified well (0 in stage 1, 1 in stage 2).',
  },
  paper: {
    authors: 'Li, Cheung, Lu',
    title: 'Long-tailed Visual Recognition via Gaussian Clouded Logit Adjustment',
    venue: 'CVPR',
    year: 2022,
  },
  more: [
    {
      title: 'Stage 2: classifier re-training with CBEN sampling',
      equations: [
        String.raw`L = \frac{1}{B}\sum_b (1 - p_b)^{\gamma}\,\mathrm{nll}_b, \qquad p_b = e^{-\mathrm{nll}_b} \ \text{(no gradient)}`,
        String.raw`\delta_c = \frac{\log n_{\max} - \log n_c}{\log n_{\max} - \log n_{\min}}, \quad \beta_c = 0.9999 + 10^{-5}\,\delta_c, \quad w_c = \frac{1-\beta_c}{1-\beta_c^{\,n_c}}, \quad P(i) \propto w_{y_i}`,
      ],
      intuition:
        'Stage 1 learns the features on the natural, long-tailed sampling. Stage 2 freezes the backbone (batch-norm statistics included) and re-trains only the cosine classifier for 30 epochs, drawing images with class-balanced effective-number (CBEN) probabilities, with GCL at s 20, m 0.1 and focal γ 1: the boundaries are re-placed for a balanced test set without disturbing the features.',
    },
  ],
};

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
  explainer: EXPLAINER,
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
