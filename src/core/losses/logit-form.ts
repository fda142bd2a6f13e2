/**
 * Every loss of the playground written in one common, tfjs-free "logit form", so that an executor other than
 * tfjs (the fused WebGPU executor) can compute any of them with a single kernel from plain per-class numbers:
 *
 *   ℓ_{bc} = S_b · ( A_c·o_{bc} − amp_c·|ε_{bc}| − M_c·[c = y_b] ) + bias_c − K_c / (‖f_b‖₂ + 1e-12)
 *   S_b    = sampleScale[y_b]                       (one number for every class unless KPS gradient adjustment)
 *   nll_b  = −log softmax(ℓ_b)_{y_b}
 *   L      = Σ_b w_{y_b}·φ_b·nll_b / Σ_b w_{y_b}     (w ≡ 1 without class weights → the batch mean)
 *   φ_b    = (1 − exp(−nll_b))^γ treated as a constant (focal factor; 1 when γ = 0)
 *
 * o is the classifier output (cosine similarities or linear logits), f the pooled feature whose norm FBL uses
 * (‖f‖ = √(Σ f² + 1e-24) so an all-zero row has a zero gradient), ε the GCL noise (N(0, 1/3) clipped to [−1, 1]).
 *
 *   CE            S = scale (cosine head) or 1;  the rest neutral
 *   LDAM(-DRW)    S = s, M = Δ^LDAM, w = DRW weights once DRW is on
 *   Bal. Softmax  S = scale/1, bias = log n_c          Logit adjustment: bias = τ·log(n_c/N)
 *   CB-CE         S = scale/1, w = CB weights
 *   KPS           A = s̃_c, M = Δ^KPS, S = s or (GA in force) clamp(s·s̃′_{y}, s, 50)
 *   FBL           K = α·A·d̂_c
 *   GCL           S = s, amp = noiseMul·d̂_c, M = m, γ = focalGamma
 *
 * Each loss description (./ce.ts …) gives its form (`logitForm`); the tfjs implementations (./compute/) stay the
 * reference, and a test checks the form against the authors' golden outputs.
 */

export interface LogitForm {
  /** A_c: per-class multiplier of the classifier output. */
  outScale: number[];
  /** S by the sample's class (S_b = sampleScale[y_b]); the same number for every class unless KPS GA. */
  sampleScale: number[];
  /** amp_c: multiplies |ε_{bc}| (0 unless GCL). */
  noiseAmp: number[];
  /** M_c: subtracted from the target class' entry (inside the scale). */
  targetMargin: number[];
  /** bias_c: added after the scale. */
  logitBias: number[];
  /** K_c: the FBL stimulus numerator, divided by the feature norm. */
  featureStimulus: number[];
  /** w_c of the weighted mean, or null for the plain batch mean. */
  classWeight: number[] | null;
  /** γ of the focal factor (0: none). */
  focalGamma: number;
  /** The form needs a GCL noise draw [B, C] per call. */
  usesNoise: boolean;
}

const fill = (C: number, v: number) => new Array<number>(C).fill(v);

/** The form of plain cross-entropy on C classes with logit scale `scale`; losses override the parts they change. */
export function neutralForm(C: number, scale: number): LogitForm {
  return {
    outScale: fill(C, 1),
    sampleScale: fill(C, scale),
    noiseAmp: fill(C, 0),
    targetMargin: fill(C, 0),
    logitBias: fill(C, 0),
    featureStimulus: fill(C, 0),
    classWeight: null,
    focalGamma: 0,
    usesNoise: false,
  };
}

/**
 * Reference evaluation of the logit form in float64 (no tfjs): the loss and its gradients w.r.t. the classifier
 * output o [B×C] and the feature norm ‖f_b‖ [B]. `noise` is ε before |·| ([B×C], row-major), required when
 * `form.usesNoise`. Used by tests and as the specification of the executors' loss kernels.
 */
export function evalLogitForm(
  form: LogitForm,
  output: ArrayLike<number>,
  labels: ArrayLike<number>,
  featureNorm: ArrayLike<number>,
  noise: ArrayLike<number> | null,
): { loss: number; gradOutput: Float64Array; gradNorm: Float64Array } {
  const B = labels.length;
  const C = form.outScale.length;
  if (form.usesNoise && !noise) throw new Error('evalLogitForm: this loss needs a noise draw');
  const gradOutput = new Float64Array(B * C);
  const gradNorm = new Float64Array(B);
  const logits = new Float64Array(C);
  let num = 0;
  let den = 0;
  const coef = new Float64Array(B);
  const probs = new Float64Array(B * C);
  for (let b = 0; b < B; b++) {
    const y = labels[b];
    const S = form.sampleScale[y];
    const nrm = featureNorm[b] + 1e-12;
    let mx = -Infinity;
    for (let c = 0; c < C; c++) {
      const eps = noise ? Math.abs(noise[b * C + c]) : 0;
      const inner = form.outScale[c] * output[b * C + c] - form.noiseAmp[c] * eps - (c === y ? form.targetMargin[c] : 0);
      const v = S * inner + form.logitBias[c] - form.featureStimulus[c] / nrm;
      logits[c] = v;
      if (v > mx) mx = v;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[c] - mx);
    const lse = mx + Math.log(sum);
    const nll = lse - logits[y];
    const focal = form.focalGamma === 0 ? 1 : Math.pow(1 - Math.exp(-nll), form.focalGamma);
    const w = form.classWeight ? form.classWeight[y] : 1;
    num += w * focal * nll;
    den += w;
    coef[b] = w * focal;
    for (let c = 0; c < C; c++) probs[b * C + c] = Math.exp(logits[c] - lse);
  }
  for (let b = 0; b < B; b++) {
    const y = labels[b];
    const S = form.sampleScale[y];
    const nrm = featureNorm[b] + 1e-12;
    const k = coef[b] / den;
    let gn = 0;
    for (let c = 0; c < C; c++) {
      const g = k * (probs[b * C + c] - (c === y ? 1 : 0)); // dL/dℓ_{bc}
      gradOutput[b * C + c] = g * S * form.outScale[c];
      gn += (g * form.featureStimulus[c]) / (nrm * nrm);
    }
    gradNorm[b] = gn;
  }
  return { loss: num / den, gradOutput, gradNorm };
}
